const REDACTED = '***';

// Secret shapes that may end up inside free text (error messages, URLs, echoed input):
// connection-string keys, whole SAS tokens, and bare `sig=` parameters.
const PATTERNS: ReadonlyArray<[RegExp, string]> = [
  [/(SharedAccessKey\s*=\s*)[^;\s"'`]+/gi, `$1${REDACTED}`],
  [/SharedAccessSignature\s+(?:(?:sr|sig|se|skn)=[^&\s"'`;]*&?)+/gi, `SharedAccessSignature ${REDACTED}`],
  [/([?&\s]sig=)[^&\s"'`;]+/gi, `$1${REDACTED}`],
];

/** Masks connection-string keys, SAS tokens and signatures in `text`, so it can be logged or shown. */
export function redactSecrets(text: string): string {
  let out = text;
  for (const [pattern, replacement] of PATTERNS) out = out.replace(pattern, replacement);
  return out;
}
