import fc from 'fast-check';
import { TwinPatchError } from './errors';
import { validateTwinPatch } from './validate';

function rejection(patch: unknown, section: 'tags' | 'desired' | 'reported' = 'desired'): TwinPatchError {
  try {
    validateTwinPatch(patch, section);
  } catch (err) {
    if (err instanceof TwinPatchError) return err;
    throw err;
  }
  throw new Error('expected the patch to be rejected');
}

function nested(levels: number): Record<string, unknown> {
  let value: Record<string, unknown> = { leaf: 1 };
  for (let level = levels; level > 1; level -= 1) value = { [`l${level}`]: value };
  return { l1: value };
}

describe('validateTwinPatch', () => {
  it('returns an equal copy of a valid patch, not the same objects', () => {
    const patch = { a: { b: 'x', c: [1, 'two', { d: true }] }, gone: null };
    const result = validateTwinPatch(patch, 'reported');
    expect(result).toEqual(patch);
    expect(result.a).not.toBe(patch.a);
  });

  it.each([null, [], 'text', 3, undefined])('rejects a patch that is not an object: %p', (patch) => {
    const err = rejection(patch);
    expect(err.code).toBe('InvalidArgument');
    expect(err.message).toMatch(/^properties\.desired patch must be a JSON object/);
  });

  it.each([
    ['a.b', 'Key properties.desired["a.b"] is not allowed'],
    ['$version', 'Key properties.desired["$version"] is not allowed'],
    ['$metadata', 'Key properties.desired["$metadata"] is not allowed'],
    ['with space', 'Key properties.desired["with space"] is not allowed'],
    ['tab\there', 'Key properties.desired["tab\\there"] is not allowed'],
    ['c1\u0085', 'is not allowed'],
    ['del\u007f', 'is not allowed'],
  ])('rejects the key %p', (key, message) => {
    const err = rejection({ ok: { [key]: 1 } });
    expect(err.code).toBe('InvalidArgument');
    expect(err.message).toContain(message.replace('properties.desired[', 'properties.desired.ok['));
  });

  it('rejects an empty key, naming its parent', () => {
    expect(rejection({ a: { '': 1 } }, 'tags').message).toBe('Empty key under tags.a: keys may not be empty');
  });

  it('accepts a 1024-byte key and rejects a 1025-byte one', () => {
    expect(() => validateTwinPatch({ ['k'.repeat(1024)]: 1 }, 'desired')).not.toThrow();
    const err = rejection({ ['k'.repeat(1025)]: 1 });
    expect(err.message).toContain('is 1025 bytes long; keys may be at most 1024 bytes');
    expect(err.message).toContain(`${'k'.repeat(64)}…`);
  });

  it('measures keys and strings in UTF-8 bytes', () => {
    expect(rejection({ ['é'.repeat(513)]: 1 }).message).toContain('is 1026 bytes long');
    expect(rejection({ s: 'é'.repeat(2049) }).message).toContain('got 4098');
  });

  it('accepts a 4096-byte string and rejects a longer one, also inside arrays', () => {
    expect(() => validateTwinPatch({ s: 'x'.repeat(4096) }, 'reported')).not.toThrow();
    expect(rejection({ s: 'x'.repeat(4097) }).message).toBe(
      'Invalid value at properties.desired.s: string values may be at most 4096 bytes, got 4097',
    );
    expect(rejection({ list: ['ok', 'x'.repeat(4097)] }).message).toContain('properties.desired.list[1]');
  });

  it('accepts 10 levels of nesting and rejects 11', () => {
    expect(() => validateTwinPatch(nested(10), 'desired')).not.toThrow();
    expect(rejection(nested(11)).message).toBe(
      'Invalid value at properties.desired.l1.l2.l3.l4.l5.l6.l7.l8.l9.l10.l11: nesting is limited to 10 levels',
    );
  });

  it('counts arrays as a nesting level', () => {
    let value: unknown = [1];
    for (let level = 1; level < 11; level += 1) value = [value];
    expect(rejection({ a: value }).message).toContain('nesting is limited to 10 levels');
  });

  it('accepts arrays of values and objects but no null inside them', () => {
    expect(() => validateTwinPatch({ a: [1, 'b', true, { c: [2] }] }, 'reported')).not.toThrow();
    expect(rejection({ a: [1, null] }).message).toBe(
      'Invalid value at properties.desired.a[1]: null is not allowed inside arrays',
    );
    expect(rejection({ a: [{ b: null }] }).message).toBe(
      'Invalid value at properties.desired.a[0].b: null is not allowed inside arrays',
    );
  });

  it.each([
    [Number.NaN, 'numbers must be finite'],
    [Number.POSITIVE_INFINITY, 'numbers must be finite'],
    [undefined, 'unsupported value of type undefined'],
    [() => 1, 'unsupported value of type function'],
    [10n, 'unsupported value of type bigint'],
    [new Date(0), 'unsupported value of type Date'],
  ])('rejects the non-JSON value %p', (value, reason) => {
    expect(rejection({ v: value }, 'reported').message).toBe(
      `Invalid value at properties.reported.v: ${reason}`,
    );
  });

  it('keeps a "__proto__" key as plain data', () => {
    const result = validateTwinPatch(JSON.parse('{"__proto__":{"polluted":1}}'), 'tags');
    expect(Object.keys(result)).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(result)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('throws only TwinPatchError on arbitrary input', () => {
    fc.assert(
      fc.property(
        fc.anything(),
        fc.constantFrom('tags', 'desired', 'reported' as const),
        (value, section) => {
          try {
            validateTwinPatch(value, section);
          } catch (err) {
            expect(err).toBeInstanceOf(TwinPatchError);
          }
        },
      ),
    );
  });
});
