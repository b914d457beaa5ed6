import { z } from 'zod';
import { HubError } from '../../errors';

/** Validates a request body with zod; failures become 400 ArgumentInvalid with a readable message. */
export function parseBody<T extends z.ZodType>(schema: T, body: unknown): z.output<T> {
  const result = schema.safeParse(body);
  if (!result.success) {
    throw new HubError(
      'ArgumentInvalid',
      `Invalid request body: ${z.prettifyError(result.error).replace(/\n/g, ' ')}`,
    );
  }
  return result.data;
}
