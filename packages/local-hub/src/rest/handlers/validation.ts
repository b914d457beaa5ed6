import type { z } from 'zod';
import { throwAsHubError } from '../../error-translation';

/** Validates a request body with zod; failures become 400 ArgumentInvalid with a readable message. */
export function parseBody<T extends z.ZodType>(schema: T, body: unknown): z.output<T> {
  const result = schema.safeParse(body);
  if (!result.success) throwAsHubError(result.error, 'request body');
  return result.data;
}
