import fc from 'fast-check';
import { exceedsLimit, parseFailureLimit, parseWaves, planWaves, RolloutSpecError } from './rollout';

const ids = (n: number) => Array.from({ length: n }, (_, i) => `d${String(i).padStart(3, '0')}`);

describe('parseWaves', () => {
  it('reads percentages and counts', () => {
    expect(parseWaves('1%,10%,100%')).toEqual([
      { kind: 'percent', value: 1 },
      { kind: 'percent', value: 10 },
      { kind: 'percent', value: 100 },
    ]);
    expect(parseWaves(' 5, 50 ,100% ')).toEqual([
      { kind: 'count', value: 5 },
      { kind: 'count', value: 50 },
      { kind: 'percent', value: 100 },
    ]);
    expect(parseWaves('0.5%')).toEqual([{ kind: 'percent', value: 0.5 }]);
  });

  it.each(['', '1%,,10%', '0%', '101%', '0', '-3', 'ten', '10%,5%', '50,50', '1.5', '5 %'])(
    'refuses %p with a readable error',
    (text) => {
      expect(() => parseWaves(text)).toThrow(RolloutSpecError);
    },
  );
});

describe('parseFailureLimit', () => {
  it('reads a count or a percentage', () => {
    expect(parseFailureLimit('0')).toEqual({ kind: 'count', value: 0 });
    expect(parseFailureLimit('10%')).toEqual({ kind: 'percent', value: 10 });
    expect(() => parseFailureLimit('110%')).toThrow(RolloutSpecError);
    expect(() => parseFailureLimit('a few')).toThrow(RolloutSpecError);
  });
});

describe('planWaves', () => {
  it('cuts 1%,10%,100% of 1000 devices into 10, 90 and 900', () => {
    const waves = planWaves(ids(1000), parseWaves('1%,10%,100%'));
    expect(waves.map((w) => w.length)).toEqual([10, 90, 900]);
    expect(waves[0]?.[0]).toBe('d000');
    expect(waves[1]?.[0]).toBe('d010');
  });

  it('gives a small fleet at least one device per wave, drops empty waves, and adds the rest', () => {
    expect(planWaves(ids(3), parseWaves('1%,10%,100%')).map((w) => w.length)).toEqual([1, 2]);
    expect(planWaves(ids(10), parseWaves('2,5')).map((w) => w.length)).toEqual([2, 3, 5]);
    expect(planWaves(ids(10), parseWaves('30%')).map((w) => w.length)).toEqual([3, 7]);
    expect(planWaves(ids(4)).map((w) => w.length)).toEqual([4]);
  });

  it('partitions the target in order into non-empty waves (property)', () => {
    const bound = fc.oneof(
      fc.integer({ min: 1, max: 100 }).map((value) => ({ kind: 'percent' as const, value })),
      fc.integer({ min: 1, max: 300 }).map((value) => ({ kind: 'count' as const, value })),
    );
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 300 }), fc.array(bound, { maxLength: 6 }), (n, bounds) => {
        const target = ids(n);
        const waves = planWaves(target, bounds);
        expect(waves.flat()).toEqual(target);
        for (const wave of waves) expect(wave.length).toBeGreaterThan(0);
        expect(waves.length).toBeLessThanOrEqual(bounds.length + 1);
      }),
    );
  });
});

describe('exceedsLimit', () => {
  it('stops when a wave has more failures than the limit', () => {
    expect(exceedsLimit(0, 10, { kind: 'count', value: 0 })).toBe(false);
    expect(exceedsLimit(1, 10, { kind: 'count', value: 0 })).toBe(true);
    expect(exceedsLimit(1, 10, { kind: 'percent', value: 10 })).toBe(false);
    expect(exceedsLimit(2, 10, { kind: 'percent', value: 10 })).toBe(true);
    expect(exceedsLimit(1000, 1000, undefined)).toBe(false);
  });
});
