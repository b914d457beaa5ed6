import fc from 'fast-check';
import {
  exceedsJsonDepth,
  MAX_JSON_DEPTH,
  mayOverflowDouble,
  NonFiniteNumberError,
  parseFiniteJson,
} from './json-depth';

/** Nesting depth of a parsed value, by recursion (fine for the small values generated here). */
function depthOf(value: unknown): number {
  if (typeof value !== 'object' || value === null) return 0;
  const children = Object.values(value);
  return 1 + Math.max(0, ...children.map(depthOf));
}

describe('exceedsJsonDepth', () => {
  it('agrees with the depth of the parsed value, strings full of brackets included', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6 }), fc.integer({ min: 0, max: 7 }), (value, limit) => {
        expect(exceedsJsonDepth(JSON.stringify(value), limit)).toBe(depthOf(value) > limit);
      }),
      { seed: 9, numRuns: 500 },
    );
  });

  it('counts only structural brackets', () => {
    expect(exceedsJsonDepth('{"a":"[[[[\\"{{{{"}', 1)).toBe(false);
    expect(exceedsJsonDepth('[[1]]', 1)).toBe(true);
  });

  it('flags nesting that would overflow JSON.stringify, without recursing itself', () => {
    const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
    expect(exceedsJsonDepth(deep)).toBe(true);
    expect(exceedsJsonDepth(`${'['.repeat(MAX_JSON_DEPTH)}${']'.repeat(MAX_JSON_DEPTH)}`)).toBe(false);
  });
});

describe('parseFiniteJson', () => {
  // The reviver-based parse it short-cuts for text that cannot hold an overflowing number.
  const reference = (text: string): unknown =>
    JSON.parse(text, (_key, value: unknown) => {
      if (typeof value === 'number' && !Number.isFinite(value)) throw new NonFiniteNumberError('range');
      return value;
    });
  const outcome = (parse: (text: string) => unknown, text: string) => {
    try {
      return { value: parse(text) };
    } catch (err) {
      return { error: (err as Error).name };
    }
  };
  // JSON texts with numbers of every size, overflowing ones spliced in as raw text.
  const bigNumber = fc.oneof(
    fc.integer({ min: 300, max: 400 }).map((e) => `1e${e}`),
    fc.integer({ min: 300, max: 320 }).map((n) => `-${'9'.repeat(n)}`),
    fc.constantFrom('1.5E+308', '2E308', '0.1e-400', `0.${'1'.repeat(400)}`),
  );
  const text = fc.oneof(
    fc.json(),
    fc.tuple(fc.json(), bigNumber).map(([json, n]) => `{"a":${json},"n":${n},"s":"1e999"}`),
  );

  it('parses to the same value as the reviver-based parse, and refuses the same texts', () => {
    fc.assert(
      fc.property(text, (t) => {
        expect(outcome(parseFiniteJson, t)).toEqual(outcome(reference, t));
      }),
      { numRuns: 1000 },
    );
  });

  it('takes the plain path only for text whose numbers cannot overflow', () => {
    expect(mayOverflowDouble('{"rebootTime":"2026-01-01T00:00:00Z","e":true,"n":-12.5}')).toBe(false);
    expect(mayOverflowDouble('{"s":"1e999"}')).toBe(false);
    expect(mayOverflowDouble(`[${'9'.repeat(308)}]`)).toBe(false);
    expect(mayOverflowDouble(`[${'9'.repeat(309)}]`)).toBe(true);
    expect(mayOverflowDouble('[1e5]')).toBe(true);
    expect(() => parseFiniteJson('{"n":1e309}')).toThrow(NonFiniteNumberError);
    expect(() => parseFiniteJson(`[-${'9'.repeat(309)}]`)).toThrow(NonFiniteNumberError);
  });
});
