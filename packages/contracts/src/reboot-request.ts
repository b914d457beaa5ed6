import { z } from 'zod';
import { ContractError, type ParseResult } from './errors';
import { isCorrelationId, isStringUpTo, plainCopyOf } from './fast-paths';
import { jsonByteLength, LIMITS } from './limits';
import { CorrelationIdSchema } from './reboot-state';

/** The direct method name used by the seed tutorial (Microsoft's Node/C#/Java samples use `reboot`). */
export const REBOOT_METHOD_NAME = 'rebootDevice';

const CONTRACT = 'rebootDevice request payload';

/**
 * The request payload of the reboot method. Every field is optional and unknown fields are kept,
 * so payloads from other tools (e.g. the seed's `{"method_number":"42"}`) pass through untouched.
 */
export const RebootRequestSchema = z.looseObject({
  /** Seconds to wait before rebooting. */
  delaySeconds: z.number().int().min(0).max(LIMITS.maxDelaySeconds).optional(),
  /** Why the reboot was asked for; logged by the device. */
  reason: z.string().max(LIMITS.reasonLength).optional(),
  /** The seed tutorial's correlation field. */
  method_number: z.union([z.string(), z.number()]).optional(),
  /** Chosen by the service; the device echoes it in `iothubDM.reboot.correlationId` so the service can confirm exactly this reboot. */
  correlationId: CorrelationIdSchema.optional(),
});

/** A parsed reboot request. */
export type RebootRequest = z.infer<typeof RebootRequestSchema>;

/**
 * The payload as it may arrive on the wire: absent, `null`, an object, or that object double-encoded
 * as a JSON string (what the seed's Python service sends).
 */
const WirePayloadSchema = z.preprocess(decodeWirePayload, RebootRequestSchema);

function decodeWirePayload(payload: unknown): unknown {
  if (payload === undefined || payload === null) return {};
  if (typeof payload !== 'string') return payload;
  const text = payload.trim();
  if (text === '' || text === 'null') return {};
  try {
    return JSON.parse(text);
  } catch {
    // Leave the string as is: the object schema then reports "expected object, received string".
    return payload;
  }
}

/** Parses a reboot request payload; never throws. */
export function safeParseRebootRequest(payload: unknown): ParseResult<RebootRequest> {
  const wellFormed =
    typeof payload === 'string' ? wellFormedRequestText(payload) : wellFormedRequest(payload);
  if (wellFormed !== undefined) return { success: true, data: wellFormed };
  const size = jsonByteLength(payload);
  if (size === undefined) {
    return { success: false, error: new ContractError(CONTRACT, 'payload is not serializable as JSON') };
  }
  if (size > LIMITS.methodPayloadBytes) {
    return {
      success: false,
      error: new ContractError(
        CONTRACT,
        `payload is ${size} bytes; the limit is ${LIMITS.methodPayloadBytes}`,
      ),
    };
  }
  const result = WirePayloadSchema.safeParse(payload);
  return result.success
    ? { success: true, data: result.data }
    : { success: false, error: ContractError.fromZod(CONTRACT, result.error) };
}

/** Parses a reboot request payload; throws {@link ContractError} when it does not fit the contract. */
export function parseRebootRequest(payload: unknown): RebootRequest {
  const result = safeParseRebootRequest(payload);
  if (!result.success) throw result.error;
  return result.data;
}

/**
 * JSON.stringify writes one UTF-16 unit as at most 6 bytes (`\uXXXX`): a text this short can never
 * exceed the payload limit as the schema path measures it, so skipping that measurement changes nothing.
 */
const FAST_TEXT_LENGTH = Math.floor((LIMITS.methodPayloadBytes - 2) / 6);

/**
 * The request in a JSON text (what the SDK delivers, decoded as the schema path decodes it) when it is
 * shaped exactly as services send it; otherwise `undefined`, and the schema decides.
 * @internal Exported for its property test; not part of the package API.
 */
export function wellFormedRequestText(text: string): RebootRequest | undefined {
  return text.length <= FAST_TEXT_LENGTH ? wellFormedRequest(decodeWirePayload(text)) : undefined;
}

const REQUEST_KEYS = new Set(['delaySeconds', 'reason', 'method_number', 'correlationId']);
/** Longest `method_number` string the fast path takes (longer ones go to the size check and schema). */
const FAST_METHOD_NUMBER_LENGTH = 1024;

/**
 * A copy of `payload` when it is an object of only the known fields, each valid (see fast-paths.ts);
 * `undefined` leaves it to the size check and the schema. Every field is bounded, so such a payload is
 * far inside the method payload limit.
 * @internal Exported for its property test; not part of the package API.
 */
export function wellFormedRequest(payload: unknown): RebootRequest | undefined {
  const request = plainCopyOf(payload, REQUEST_KEYS);
  if (request === undefined) return undefined;
  const { delaySeconds, reason, method_number: methodNumber, correlationId } = request;
  const fits =
    (delaySeconds === undefined ||
      (Number.isSafeInteger(delaySeconds) &&
        (delaySeconds as number) >= 0 &&
        (delaySeconds as number) <= LIMITS.maxDelaySeconds)) &&
    (reason === undefined || isStringUpTo(reason, LIMITS.reasonLength)) &&
    (methodNumber === undefined ||
      (typeof methodNumber === 'number' && Number.isFinite(methodNumber)) ||
      isStringUpTo(methodNumber, FAST_METHOD_NUMBER_LENGTH)) &&
    (correlationId === undefined || isCorrelationId(correlationId, LIMITS.correlationIdLength));
  return fits ? (request as RebootRequest) : undefined;
}
