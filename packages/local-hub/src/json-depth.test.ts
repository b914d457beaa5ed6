import fc from 'fast-check';
import { exceedsJsonDepth, MAX_JSON_DEPTH } from './json-depth';

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
