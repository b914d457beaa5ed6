/**
 * Redaction of the secrets that travel with IoT Hub clients (connection-string keys, SAS tokens and
 * signatures), for everything that logs or shows text: the libraries' errors and the apps' logs.
 */
const REDACTED = '***';

// Secret shapes that may end up inside free text (error messages, URLs, echoed input):
// connection-string keys, whole SAS tokens, and bare `sig=` parameters.
const PATTERNS: ReadonlyArray<[RegExp, string]> = [
  [/(SharedAccessKey\s*=\s*)[^;\s"'`]+/gi, `$1${REDACTED}`],
  [/SharedAccessSignature\s+(?:(?:sr|sig|se|skn)=[^&\s"'`;]*&?)+/gi, `SharedAccessSignature ${REDACTED}`],
  [/((?:^|[?&\s;"'])sig=)[^&\s"'`;]+/gi, `$1${REDACTED}`],
];

/** Masks connection-string keys, SAS tokens and signatures in `text`, so it can be logged or shown. */
export function redactSecrets(text: string): string {
  let out = text;
  for (const [pattern, replacement] of PATTERNS) out = out.replace(pattern, replacement);
  return out;
}

const MAX_DEPTH = 8;

/**
 * Copy of `value` with {@link redactSecrets} applied to every string inside it (to a bounded depth;
 * deeper parts are dropped). For log objects that carry whole SDK errors: an `azure-iothub` error keeps
 * the HTTP request it failed on, Authorization header (SAS token) included.
 */
export function redactDeep(value: unknown, depth = 0, seen = new WeakSet<object>()): unknown {
  if (typeof value === 'string') return redactSecrets(value);
  if (typeof value !== 'object' || value === null) return value;
  if (depth >= MAX_DEPTH || seen.has(value)) return '[omitted]';
  seen.add(value);
  if (Array.isArray(value)) return value.map((item) => redactDeep(item, depth + 1, seen));
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    out[key] = /^authorization$/i.test(key) ? '***' : redactDeep(item, depth + 1, seen);
  }
  return out;
}
