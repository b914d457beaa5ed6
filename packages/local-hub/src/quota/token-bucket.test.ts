import { TokenBucket } from './token-bucket';

describe('TokenBucket', () => {
  it('allows its burst at once, then refills at its rate on the injected clock', () => {
    let now = 0;
    const bucket = new TokenBucket(10, 20, () => now);
    for (let i = 0; i < 20; i += 1) expect(bucket.take()).toBe(true);
    expect(bucket.take()).toBe(false);
    expect(bucket.secondsUntil()).toBeCloseTo(0.1);
    now += 99;
    expect(bucket.take()).toBe(false);
    now += 1;
    expect(bucket.take()).toBe(true);
    expect(bucket.take()).toBe(false);
  });

  it('never holds more than its burst, however long it idles', () => {
    let now = 0;
    const bucket = new TokenBucket(1, 3, () => now);
    now += 3_600_000;
    expect([1, 2, 3, 4].map(() => bucket.take())).toEqual([true, true, true, false]);
  });

  it('charges a cost, and takes nothing when refused', () => {
    let now = 0;
    const bucket = new TokenBucket(40, 40, () => now);
    expect(bucket.take(32)).toBe(true);
    expect(bucket.take(9)).toBe(false);
    expect(bucket.take(8)).toBe(true);
    now += 250;
    expect(bucket.take(10)).toBe(true);
  });

  it('ignores a clock that goes backwards', () => {
    let now = 1000;
    const bucket = new TokenBucket(1, 1, () => now);
    expect(bucket.take()).toBe(true);
    now = 0;
    expect(bucket.take()).toBe(false);
    now = 1000;
    expect(bucket.take()).toBe(true);
  });
});
