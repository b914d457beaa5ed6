import { AdaptiveLimit, forEachAdaptive } from './adaptive-limit';

describe('AdaptiveLimit', () => {
  it('grows while latency stays near the quickest seen', () => {
    const limit = new AdaptiveLimit({ initial: 4, min: 1, max: 100 });
    for (let i = 0; i < 200; i++) limit.succeeded(10);
    expect(limit.limit).toBeGreaterThan(20);
  });

  it('shrinks when latency climbs well above the quickest, and never below min', () => {
    const limit = new AdaptiveLimit({ initial: 50, min: 2, max: 100 });
    limit.succeeded(10);
    const before = limit.limit;
    for (let i = 0; i < 100; i++) limit.succeeded(200);
    expect(limit.limit).toBeLessThan(before);
    expect(limit.limit).toBeGreaterThanOrEqual(2);
  });

  it('halves on a failure and stays within its bounds', () => {
    const limit = new AdaptiveLimit({ initial: 40, min: 5, max: 40 });
    limit.failed();
    expect(limit.limit).toBe(20);
    for (let i = 0; i < 10; i++) limit.failed();
    expect(limit.limit).toBe(5);
    for (let i = 0; i < 1000; i++) limit.succeeded(1);
    expect(limit.limit).toBe(40);
  });

  it('refuses inconsistent bounds', () => {
    expect(() => new AdaptiveLimit({ initial: 0, min: 1, max: 2 })).toThrow(RangeError);
    expect(() => new AdaptiveLimit({ initial: 5, min: 1, max: 2 })).toThrow(RangeError);
  });
});

describe('forEachAdaptive', () => {
  it('runs every item once, never more in flight than the limit', async () => {
    const limiter = new AdaptiveLimit({ initial: 3, min: 1, max: 3 });
    let inFlight = 0;
    let most = 0;
    const seen: number[] = [];
    await forEachAdaptive(
      Array.from({ length: 20 }, (_, i) => i),
      limiter,
      async (i) => {
        inFlight++;
        most = Math.max(most, inFlight);
        await Promise.resolve();
        seen.push(i);
        inFlight--;
      },
    );
    expect(seen.sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(most).toBeLessThanOrEqual(3);
  });

  it('retries a failing item, then rejects with its last error', async () => {
    const limiter = new AdaptiveLimit({ initial: 2, min: 1, max: 2 });
    let calls = 0;
    await expect(
      forEachAdaptive([1], limiter, async () => {
        calls++;
        throw new Error(`boom ${calls}`);
      }),
    ).rejects.toThrow('boom 3');
    expect(calls).toBe(3);
  });

  it('succeeds when a retry does', async () => {
    const limiter = new AdaptiveLimit({ initial: 2, min: 1, max: 2 });
    let calls = 0;
    await forEachAdaptive([1], limiter, async () => {
      calls++;
      if (calls === 1) throw new Error('once');
    });
    expect(calls).toBe(2);
  });

  it('resolves at once with no items', async () => {
    await forEachAdaptive([], new AdaptiveLimit(), async () => undefined);
  });
});
