import fc from 'fast-check';
import { fullJitterDelay, parseRetryAfter } from './backoff';

const NOW = Date.parse('2026-01-01T00:00:00Z');

describe('fullJitterDelay', () => {
  it('doubles the window per failure up to the cap', () => {
    const backoff = { initialMs: 100, maxMs: 1000 };
    expect([1, 2, 3, 4, 5, 50].map((n) => fullJitterDelay(n, backoff, 0.5))).toEqual([
      50, 100, 200, 400, 500, 500,
    ]);
  });

  it('always stays within [0, cap]', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 10_000 }),
        fc.nat(60_000),
        fc.nat(60_000),
        fc.double({ min: -1, max: 2 }),
        (failures, initialMs, maxMs, random) => {
          const delay = fullJitterDelay(failures, { initialMs, maxMs }, random);
          expect(delay).toBeGreaterThanOrEqual(0);
          expect(delay).toBeLessThanOrEqual(Math.min(initialMs * 2 ** Math.min(failures, 30), maxMs));
        },
      ),
    );
  });
});

describe('parseRetryAfter', () => {
  it.each([
    ['0', 0],
    ['5', 5000],
    [' 12 ', 12_000],
    [['3', '9'], 3000],
    [new Date(NOW + 2500).toUTCString(), 2000], // HTTP dates have whole seconds
    ['Wed, 31 Dec 2025 23:00:00 GMT', 0],
  ])('parses %j', (value, expected) => {
    expect(parseRetryAfter(value, NOW)).toBe(expected);
  });

  it.each([[undefined], [''], ['-3'], ['1.5'], ['soon'], [{}], [null]])('ignores %j', (value) => {
    expect(parseRetryAfter(value, NOW)).toBeUndefined();
  });
});
