import { HubThrottle } from './throttle';

describe('HubThrottle', () => {
  it('throttles nothing without a spec', () => {
    const throttle = new HubThrottle(undefined);
    for (let i = 0; i < 10_000; i += 1) throttle.take('queries');
    expect(throttle.refusedCounts().queries).toBe(0);
  });

  it('keeps one bucket per class and answers 429 ThrottlingException when one is empty', () => {
    let now = 0;
    const throttle = new HubThrottle({ tier: 'S1', units: 1 }, () => now);
    for (let i = 0; i < 20; i += 1) throttle.take('queries');
    expect(() => throttle.take('queries')).toThrow(
      expect.objectContaining({ errorName: 'ThrottlingException', status: 429, code: 429001 }),
    );
    // Other classes have buckets of their own.
    expect(() => throttle.take('twinReads')).not.toThrow();
    expect(throttle.refusedCounts()).toMatchObject({ queries: 1, twinReads: 0 });
    now += 3000; // 20/min refills one query every 3 s
    expect(() => throttle.take('queries')).not.toThrow();
  });
});
