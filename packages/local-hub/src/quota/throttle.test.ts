import { ManualClock } from '../test-support/manual-clock';
import { HubThrottle } from './throttle';

const settled = async <T>(promise: Promise<T>) => {
  let state: 'pending' | 'resolved' | 'rejected' = 'pending';
  promise.then(
    () => {
      state = 'resolved';
    },
    () => {
      state = 'rejected';
    },
  );
  await new Promise((resolve) => setImmediate(resolve));
  return state;
};

describe('HubThrottle', () => {
  it('throttles nothing without a spec', async () => {
    const throttle = new HubThrottle(undefined);
    for (let i = 0; i < 10_000; i += 1) throttle.take('queries');
    await expect(throttle.admit('deviceToCloudSends')).resolves.toBeUndefined();
    await expect(throttle.pace('jobDeviceOperations')).resolves.toBe(true);
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

  // "IoT Hub quotas and throttling", Traffic shaping: over the rate requests are queued and processed at
  // the limit rate; when the (limited) queue is full, 429 ThrottlingException.
  it('traffic shaping: S1 D2C sends pass 100 at once, queue 100 more at 100/s in order, then refuse', async () => {
    const clock = new ManualClock();
    const throttle = new HubThrottle({ tier: 'S1', units: 1 }, clock.now, clock);
    for (let i = 0; i < 100; i += 1) await throttle.admit('deviceToCloudSends');
    const order: number[] = [];
    const queued = Array.from({ length: 100 }, (_, i) =>
      throttle.admit('deviceToCloudSends').then(() => order.push(i)),
    );
    expect(throttle.backlog('deviceToCloudSends')).toBe(100);
    await expect(throttle.admit('deviceToCloudSends')).rejects.toMatchObject({ status: 429, code: 429001 });
    expect(throttle.refusedCounts().deviceToCloudSends).toBe(1);
    clock.advance(10); // one token per 10 ms
    await queued[0];
    expect(order).toEqual([0]);
    expect(await settled(queued[1] as Promise<unknown>)).toBe('pending');
    clock.advance(490);
    await Promise.all(queued.slice(0, 50));
    expect(order).toHaveLength(50);
    expect(await settled(queued[50] as Promise<unknown>)).toBe('pending');
    clock.advance(500);
    await Promise.all(queued);
    expect(order).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(clock.pendingCount()).toBe(0);
  });

  it('a withdrawn send (its device went away) frees its backlog place and rejects with the reason', async () => {
    const clock = new ManualClock();
    const throttle = new HubThrottle({ tier: 'S1', units: 1 }, clock.now, clock);
    for (let i = 0; i < 100; i += 1) await throttle.admit('deviceToCloudSends');
    const gone = new AbortController();
    const withdrawn = throttle.admit('deviceToCloudSends', 1, gone.signal);
    const kept = throttle.admit('deviceToCloudSends');
    expect(throttle.backlog('deviceToCloudSends')).toBe(2);
    gone.abort(new Error('The device disconnected.'));
    await expect(withdrawn).rejects.toThrow('The device disconnected.');
    expect(throttle.backlog('deviceToCloudSends')).toBe(1);
    clock.advance(10); // the one token goes to the send still waiting
    await expect(kept).resolves.toBeUndefined();
    await expect(throttle.admit('deviceToCloudSends', 1, gone.signal)).rejects.toThrow('disconnected');
  });

  it('pacing never refuses: 100 job device operations on S1 run 10 at once, then 10/s', async () => {
    const clock = new ManualClock();
    const throttle = new HubThrottle({ tier: 'S1', units: 1 }, clock.now, clock);
    const paced = Array.from({ length: 100 }, () => throttle.pace('jobDeviceOperations'));
    await Promise.all(paced.slice(0, 10));
    expect(throttle.backlog('jobDeviceOperations')).toBe(90);
    clock.advance(8_900);
    expect(await settled(paced[99] as Promise<boolean>)).toBe('pending');
    clock.advance(100);
    await expect(Promise.all(paced)).resolves.toEqual(Array(100).fill(true));
    expect(throttle.refusedCounts().jobDeviceOperations).toBe(0);
  });

  it('close settles every waiter (shaped: ServiceUnavailable, paced: false) and leaves no timer', async () => {
    const clock = new ManualClock();
    const throttle = new HubThrottle({ tier: 'S1', units: 1 }, clock.now, clock);
    for (let i = 0; i < 100; i += 1) await throttle.admit('deviceToCloudSends');
    for (let i = 0; i < 10; i += 1) await throttle.pace('jobDeviceOperations');
    const shaped = throttle.admit('deviceToCloudSends');
    const paced = throttle.pace('jobDeviceOperations');
    throttle.close();
    await expect(shaped).rejects.toMatchObject({ errorName: 'ServiceUnavailable' });
    await expect(paced).resolves.toBe(false);
    expect(clock.pendingCount()).toBe(0);
  });
});
