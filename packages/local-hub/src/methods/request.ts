import { z } from 'zod';
import { throwAsHubError } from '../error-translation';
import { HubError } from '../errors';

/** IoT Hub's limit on a direct method payload, request and response alike. */
export const METHOD_PAYLOAD_LIMIT_BYTES = 128 * 1024;

const schema = z.strictObject({
  // The name travels as a topic level: no separators, wildcards or query characters.
  methodName: z
    .string()
    .regex(/^[^/#+?&\s]{1,128}$/, 'a method name has 1 to 128 characters, none of / # + ? & or spaces'),
  payload: z.unknown().optional(),
  responseTimeoutInSeconds: z.number().int().min(5).max(300).optional(),
  connectTimeoutInSeconds: z.number().int().min(0).max(300).optional(),
});

/** A validated direct method invocation. */
export interface MethodRequest {
  methodName: string;
  /** Request payload as JSON text (`null` when absent: the device SDK rejects an empty body). */
  payloadJson: string;
  responseTimeoutInSeconds: number;
  connectTimeoutInSeconds: number;
}

/** Validates `POST /twins/{id}/methods`: timeouts 5–300 s (default 30) and 0–300 s (default 0), 128 KB. */
export function parseMethodRequest(body: unknown): MethodRequest {
  const result = schema.safeParse(body);
  if (!result.success) throwAsHubError(result.error);
  const { methodName, payload, responseTimeoutInSeconds = 30, connectTimeoutInSeconds = 0 } = result.data;
  const payloadJson = JSON.stringify(payload ?? null);
  if (Buffer.byteLength(payloadJson) > METHOD_PAYLOAD_LIMIT_BYTES) {
    throw new HubError('ArgumentInvalid', 'The method payload is larger than 128 KB.');
  }
  return { methodName, payloadJson, responseTimeoutInSeconds, connectTimeoutInSeconds };
}
