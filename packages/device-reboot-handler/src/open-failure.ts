/**
 * Why an `azure-iot-device` client's `open()` failed. The SDK's MQTT transport reports every failed first
 * connection as an `UnauthorizedError` ("Failure on first connection (Not authorized): …"), whether the hub
 * refused the credentials, the TLS certificate was not trusted or nothing listened on the port
 * (azure-iot-device-mqtt `mqtt_base.js` maps mqtt.js' first `error` to that name). The underlying cause is
 * only in the message text of the error and its `transportError`, so this reads those.
 */
export type OpenFailureKind =
  /** The hub answered CONNACK "bad username or password" / "not authorized": no retry can fix it. */
  | 'credentials-refused'
  /** TLS: the hub's certificate chain is not trusted (or names another host): pass its CA. */
  | 'untrusted-certificate'
  /** Nothing answered, or the link dropped, or the hub said "server unavailable": worth retrying. */
  | 'unreachable'
  /** Anything else. */
  | 'other';

const UNTRUSTED = [
  'unable to verify the first certificate',
  'unable to get local issuer certificate',
  'self signed certificate',
  'self-signed certificate',
  'certificate has expired',
  'does not match certificate',
  'unable_to_verify_leaf_signature',
  'depth_zero_self_signed_cert',
  'self_signed_cert_in_chain',
  'err_tls_cert_altname_invalid',
  'cert_has_expired',
];
const UNREACHABLE = [
  'econnrefused',
  'enotfound',
  'eai_again',
  'etimedout',
  'econnreset',
  'ehostunreach',
  'enetunreach',
  'epipe',
  'socket hang up',
  'server unavailable',
  'connack timeout',
];
const REFUSED = ['bad username or password', 'connection refused: not authorized', 'identifier rejected'];

/** Classifies an `open()` failure by its underlying cause (see {@link OpenFailureKind}). */
export function classifyOpenFailure(err: unknown): OpenFailureKind {
  const text = causeText(err);
  if (UNTRUSTED.some((s) => text.includes(s))) return 'untrusted-certificate';
  if (UNREACHABLE.some((s) => text.includes(s))) return 'unreachable';
  if (REFUSED.some((s) => text.includes(s))) return 'credentials-refused';
  // An UnauthorizedError with no recognisable cause (e.g. a SAS token the SDK itself rejects) stays what
  // the SDK calls it.
  return (err as { name?: unknown } | null)?.name === 'UnauthorizedError' ? 'credentials-refused' : 'other';
}

/** The lower-cased messages and codes of `err` and the errors it wraps, a few levels deep. */
function causeText(err: unknown): string {
  const parts: string[] = [];
  let current: unknown = err;
  for (let depth = 0; depth < 5 && current !== null && typeof current === 'object'; depth += 1) {
    const e = current as {
      message?: unknown;
      code?: unknown;
      transportError?: unknown;
      innerError?: unknown;
      cause?: unknown;
    };
    if (typeof e.message === 'string') parts.push(e.message);
    if (typeof e.code === 'string') parts.push(e.code);
    current = e.transportError ?? e.innerError ?? e.cause;
  }
  return parts.join(' | ').toLowerCase();
}
