import { z } from 'zod';
import { ContractError, type ParseResult } from './errors';
import { isCanonicalIsoUtc, isStringUpTo, plainCopyOf } from './fast-paths';
import { jsonByteLength, LIMITS } from './limits';

const CONTRACT = 'rebootDevice response payload';
const MAX_TEXT = 4096;

const isoUtc = z.iso.datetime();
const text = z.string().max(MAX_TEXT);

/**
 * What the device answers to the reboot method. `result` says which outcome; the method's
 * HTTP-like status follows from it (see {@link REBOOT_RESULT_STATUS}).
 */
export const RebootResponseSchema = z.discriminatedUnion('result', [
  /** Rebooted and reported (`report-then-respond`). */
  z.strictObject({ result: z.literal('rebooted'), rebootTime: isoUtc, message: text }),
  /** Accepted; the reboot and its report follow (`respond-then-reboot`). */
  z.strictObject({ result: z.literal('accepted'), message: text }),
  /** The request payload broke the contract; nothing was done. */
  z.strictObject({ result: z.literal('bad-request'), error: text }),
  /** A reboot is already in progress; nothing new was started. */
  z.strictObject({ result: z.literal('busy'), error: text }),
  /** The reboot action failed; nothing was reported. */
  z.strictObject({ result: z.literal('reboot-failed'), error: text }),
  /** The reboot happened but could not be reported yet; the report stays pending. */
  z.strictObject({ result: z.literal('report-failed'), rebootTime: isoUtc, error: text }),
]);

/** A reboot method response payload. */
export type RebootResponse = z.infer<typeof RebootResponseSchema>;
/** The possible outcomes of a reboot request. */
export type RebootResult = RebootResponse['result'];

/** The direct-method status that goes with each outcome. */
export const REBOOT_RESULT_STATUS = {
  rebooted: 200,
  accepted: 202,
  'bad-request': 400,
  busy: 409,
  'reboot-failed': 500,
  'report-failed': 500,
} as const satisfies Record<RebootResult, number>;

/** A response ready for `response.send(status, payload)`. */
export interface RebootMethodAnswer {
  status: number;
  payload: RebootResponse;
}

/**
 * Builds the device's answer with the status that matches its outcome. Long texts are cut to the
 * contract's bound so an error message can never push the payload over IoT Hub's limit.
 */
export function rebootAnswer(response: RebootResponse): RebootMethodAnswer {
  const bounded = boundTexts(response);
  const payload = wellFormedResponse(bounded) ?? RebootResponseSchema.parse(bounded);
  return { status: REBOOT_RESULT_STATUS[payload.result], payload };
}

/** The keys of each outcome's payload: all required, no others. */
const RESPONSE_KEYS = {
  rebooted: ['result', 'rebootTime', 'message'],
  accepted: ['result', 'message'],
  'bad-request': ['result', 'error'],
  busy: ['result', 'error'],
  'reboot-failed': ['result', 'error'],
  'report-failed': ['result', 'rebootTime', 'error'],
} as const satisfies Record<RebootResult, readonly string[]>;
const RESPONSE_KEY_SETS = new Map(
  Object.entries(RESPONSE_KEYS).map(([result, keys]) => [result, new Set<string>(keys)]),
);

/**
 * A copy of `value` when it is a response of exactly the form the handler builds (see fast-paths.ts);
 * `undefined` leaves it to the schema.
 * @internal Exported for its property test; not part of the package API.
 */
export function wellFormedResponse(value: unknown): RebootResponse | undefined {
  const result = (value as { result?: unknown } | null)?.result;
  if (typeof result !== 'string' || !Object.hasOwn(RESPONSE_KEYS, result)) return undefined;
  const keys = RESPONSE_KEYS[result as RebootResult];
  const response = plainCopyOf(value, RESPONSE_KEY_SETS.get(result) as Set<string>, keys);
  if (response === undefined || response.result !== result) return undefined;
  const fits =
    (!Object.hasOwn(response, 'rebootTime') || isCanonicalIsoUtc(response.rebootTime)) &&
    (!Object.hasOwn(response, 'message') || isStringUpTo(response.message, MAX_TEXT)) &&
    (!Object.hasOwn(response, 'error') || isStringUpTo(response.error, MAX_TEXT));
  return fits ? (response as RebootResponse) : undefined;
}

function boundTexts(response: RebootResponse): RebootResponse {
  const cut = (s: string) => (s.length > MAX_TEXT ? `${s.slice(0, MAX_TEXT - 1)}…` : s);
  if ('error' in response) return { ...response, error: cut(response.error) };
  return { ...response, message: cut(response.message) };
}

/** Parses a reboot response payload (for example what the service received); never throws. */
export function safeParseRebootResponse(payload: unknown): ParseResult<RebootResponse> {
  const size = jsonByteLength(payload);
  if (size === undefined || size > LIMITS.methodPayloadBytes) {
    const why =
      size === undefined
        ? 'is not serializable as JSON'
        : `is ${size} bytes; the limit is ${LIMITS.methodPayloadBytes}`;
    return { success: false, error: new ContractError(CONTRACT, `payload ${why}`) };
  }
  const result = RebootResponseSchema.safeParse(payload);
  return result.success
    ? { success: true, data: result.data }
    : { success: false, error: ContractError.fromZod(CONTRACT, result.error) };
}

/** Parses a reboot response payload; throws {@link ContractError} when it does not fit the contract. */
export function parseRebootResponse(payload: unknown): RebootResponse {
  const result = safeParseRebootResponse(payload);
  if (!result.success) throw result.error;
  return result.data;
}
