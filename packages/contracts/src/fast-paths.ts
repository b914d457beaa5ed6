/**
 * Cheap checks that let a contract skip its zod schema for values of the exact form a device itself
 * builds (every reboot request builds, stores and answers several: zod was most of what the reboot
 * handler added to a round trip). Each check only ever says "certainly valid"; anything it does not
 * recognise goes to the schema, which stays the contract and gives the errors. The property tests
 * (`fast-paths.test.ts`) hold every check to its schema: accepted here means accepted there, with the
 * same data.
 * @internal
 */

/** The correlation id alphabet (the schema's message explains it); `CorrelationIdSchema` uses it too. */
export const CORRELATION_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:+@-]*$/;

/**
 * Whether `value` is exactly what `Date#toISOString` writes for a year 0000–9999
 * (`YYYY-MM-DDTHH:mm:ss.sssZ`): UTC, milliseconds, a real calendar instant (no 02-30, no 24:00, no leap
 * second). A subset of what `z.iso.datetime()` accepts. Read digit by digit: no regex match, no Date.
 */
export function isCanonicalIsoUtc(value: unknown): value is string {
  if (typeof value !== 'string' || value.length !== 24) return false;
  for (let i = 0; i < 24; i++) {
    const expected = ISO_SEPARATORS[i];
    const code = value.charCodeAt(i);
    if (expected === undefined ? code < 48 || code > 57 : code !== expected) return false;
  }
  const year = digits(value, 0, 4);
  const month = digits(value, 5, 2);
  const day = digits(value, 8, 2);
  if (month < 1 || month > 12 || day < 1) return false;
  if (digits(value, 11, 2) > 23 || digits(value, 14, 2) > 59 || digits(value, 17, 2) > 59) return false;
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const days =
    month === 2 ? (leap ? 29 : 28) : month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
  return day <= days;
}

/** The fixed characters of `YYYY-MM-DDTHH:mm:ss.sssZ` by position; every other position is a digit. */
const ISO_SEPARATORS: ReadonlyArray<number | undefined> = Array.from({ length: 24 }, (_, i) =>
  ({ 4: '-', 7: '-', 10: 'T', 13: ':', 16: ':', 19: '.', 23: 'Z' })[i]?.charCodeAt(0),
);

function digits(text: string, from: number, count: number): number {
  let n = 0;
  for (let i = from; i < from + count; i++) n = n * 10 + (text.charCodeAt(i) - 48);
  return n;
}

/** Whether `value` is a correlation id within `maxLength`. */
export function isCorrelationId(value: unknown, maxLength: number): value is string {
  return typeof value === 'string' && value.length <= maxLength && CORRELATION_ID_PATTERN.test(value);
}

/** A string of at most `maxLength` UTF-16 units (what zod's `.max()` counts). */
export function isStringUpTo(value: unknown, maxLength: number): value is string {
  return typeof value === 'string' && value.length <= maxLength;
}

/**
 * A copy of `value` when it is a plain object (`{}` or `Object.create(null)`) of data fields only, each
 * of its keys in `allowed` and holding no `undefined` (a present-but-undefined field is the schema's to
 * judge), with every key of `required`; otherwise `undefined`. The copy is what gets checked and
 * returned, so an accessor cannot answer one thing to the check and another to the caller.
 */
export function plainCopyOf(
  value: unknown,
  allowed: ReadonlySet<string>,
  required: readonly string[] = [],
): Record<string, unknown> | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const prototype = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== null) return undefined;
  const copy: Record<string, unknown> = { ...value };
  const keys = Object.keys(copy);
  // Non-enumerable fields (which a schema still reads) and symbol keys (which it ignores): the schema's job.
  if (Reflect.ownKeys(value).length !== keys.length) return undefined;
  for (const key of keys) if (!allowed.has(key) || copy[key] === undefined) return undefined;
  for (const key of required) if (!Object.hasOwn(copy, key)) return undefined;
  return copy;
}
