/**
 * Deepest JSON nesting the hub accepts from a client (REST bodies, device method answers). Far above any
 * twin (10 levels) or realistic payload, far below where V8's recursive JSON.stringify overflows the stack
 * (a few thousand levels), which would turn a client's bad input into a 500.
 */
export const MAX_JSON_DEPTH = 128;

/**
 * Whether JSON text nests objects/arrays deeper than `limit`, decided by scanning the text once without
 * parsing or recursing (brackets inside strings do not count). Meant to run before `JSON.parse`.
 */
export function exceedsJsonDepth(text: string, limit: number = MAX_JSON_DEPTH): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i += 1) {
    const char = text.charCodeAt(i);
    if (inString) {
      if (char === 0x5c)
        i += 1; // backslash: skip the escaped character
      else if (char === 0x22) inString = false;
    } else if (char === 0x22) {
      inString = true;
    } else if (char === 0x5b || char === 0x7b) {
      depth += 1;
      if (depth > limit) return true;
    } else if (char === 0x5d || char === 0x7d) {
      depth -= 1;
    }
  }
  return false;
}

/** JSON text with a number beyond double range: `1e309` parses as Infinity. */
export class NonFiniteNumberError extends Error {
  override readonly name = 'NonFiniteNumberError';
}

/**
 * JSON.parse refusing numbers it cannot hold: `1e309` parses as Infinity, which JSON.stringify writes back
 * as `null`, so the value would change silently on its way through the hub. The reviver keeps keys such as
 * `__proto__` own data properties, as JSON.parse does. Throws SyntaxError or NonFiniteNumberError.
 */
export function parseFiniteJson(text: string): unknown {
  // A reviver takes JSON.parse off its fast path (every value is revisited through a holder object), and
  // only a number with an exponent or of 309 digits and more can overflow a double: text with neither is
  // parsed plainly, to the same value.
  if (!mayOverflowDouble(text)) return JSON.parse(text);
  return JSON.parse(text, (_key, value: unknown) => {
    if (typeof value === 'number' && !Number.isFinite(value)) {
      throw new NonFiniteNumberError('a number is out of range');
    }
    return value;
  });
}

/** The largest finite double has 309 integer digits; fewer digits and no exponent cannot overflow. */
const MAX_PLAIN_DIGITS = 308;

/**
 * Whether JSON text has, outside strings, an exponent after a digit (`1e309`) or a run of more than
 * {@link MAX_PLAIN_DIGITS} digits: the only number literals that can parse as ±Infinity. Conservative on
 * invalid JSON (JSON.parse then rejects it either way).
 */
export function mayOverflowDouble(text: string): boolean {
  let inString = false;
  let digits = 0;
  for (let i = 0; i < text.length; i += 1) {
    const char = text.charCodeAt(i);
    if (inString) {
      if (char === 0x5c)
        i += 1; // backslash: skip the escaped character
      else if (char === 0x22) inString = false;
      continue;
    }
    if (char >= 0x30 && char <= 0x39) {
      digits += 1;
      if (digits > MAX_PLAIN_DIGITS) return true;
      continue;
    }
    if ((char === 0x65 || char === 0x45) && digits > 0) return true; // e / E right after a digit
    digits = 0;
    if (char === 0x22) inString = true;
  }
  return false;
}
