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
    for (let i = 0; i < 10_000; i += 1) expect(throttle.tryTake('queries')).toBe(true);
    await expect(throttle.admit('deviceToCloudSends')).resolves.toBeUndefined();
    await expect(throttle.pace('jobDeviceOperations')).resolves.toBe(true);
    expect(throttle.refusedCounts().queries).toBe(0);
  });

  it('keeps one bucket per class; tryTake refuses (and counts) when one is empty', () => {
    let now = 0;
    const throttle = new HubThrottle({ tier: 'S1', units: 1 }, () => now);
    for (let i = 0; i < 20; i += 1) expect(throttle.tryTake('queries')).toBe(true);
    expect(throttle.tryTake('queries')).toBe(false);
    // Other classes have buckets of their own.
    expect(throttle.tryTake('twinReads')).toBe(true);
    expect(throttle.refusedCounts()).toMatchObject({ queries: 1, twinReads: 0 });
    now += 3000; // 20/min refills one query every 3 s
    expect(throttle.tryTake('queries')).toBe(true);
  });

  it('admitsNow takes tokens only when nothing of its class waits, and takes none when it says no', async () => {
    let now = 0;
    const throttle = new HubThrottle({ tier: 'S1', units: 1 }, () => now);
    for (let i = 0; i < 20; i += 1) expect(throttle.admitsNow('queries')).toBe(true);
    expect(throttle.admitsNow('queries')).toBe(false);
    expect(throttle.refusedCounts().queries).toBe(0);
    const waiting = throttle.admit('queries');
    expect(throttle.backlog('queries')).toBe(1);
    now += 3000; // one token back, but the waiting query is first in line
    expect(throttle.admitsNow('queries')).toBe(false);
    throttle.close();
    await expect(waiting).rejects.toMatchObject({ errorName: 'ServiceUnavailable' });
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
    // IoT Hub error codes: 429002 ThrottleBacklogLimitExceeded.
    await expect(throttle.admit('deviceToCloudSends')).rejects.toMatchObject({
      errorName: 'ThrottleBacklogLimitExceeded',
      status: 429,
      code: 429002,
    });
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

  it('shapes every class: S1 queries pass 20, queue 20 (one per 3 s), then 429002; a full minute drains them', async () => {
    const clock = new ManualClock();
    const throttle = new HubThrottle({ tier: 'S1', units: 1 }, clock.now, clock);
    for (let i = 0; i < 20; i += 1) await throttle.admit('queries');
    const queued = Array.from({ length: 20 }, () => throttle.admit('queries'));
    await expect(throttle.admit('queries')).rejects.toMatchObject({ code: 429002 });
    clock.advance(2_999);
    expect(await settled(queued[0] as Promise<void>)).toBe('pending');
    clock.advance(1);
    await queued[0];
    expect(throttle.backlog('queries')).toBe(19);
    clock.advance(57_000);
    await Promise.all(queued);
    expect(throttle.refusedCounts().queries).toBe(1);
    expect(clock.pendingCount()).toBe(0);
  });

  it('bounds the backlog in tokens: direct methods queue up to 40 meters, whatever the calls cost', async () => {
    const clock = new ManualClock();
    const throttle = new HubThrottle({ tier: 'S1', units: 1 }, clock.now, clock);
    await throttle.admit('directMethods', 40);
    const big = throttle.admit('directMethods', 25);
    const small = throttle.admit('directMethods', 15);
    // 40 meters wait: one more meter is over the backlog, though only two calls wait.
    await expect(throttle.admit('directMethods', 1)).rejects.toMatchObject({ code: 429002 });
    clock.advance(1_000);
    await Promise.all([big, small]);
    expect(throttle.backlog('directMethods')).toBe(0);
  });

  it('a withdrawn head lets the next one through at its own time; whenBacklogAtMost sees it leave', async () => {
    const clock = new ManualClock();
    const throttle = new HubThrottle({ tier: 'S1', units: 1 }, clock.now, clock);
    for (let i = 0; i < 20; i += 1) await throttle.admit('queries');
    const gone = new AbortController();
    const head = throttle.admit('queries', 1, gone.signal).catch((err: Error) => err.message);
    const next = throttle.admit('queries');
    const left = throttle.whenBacklogAtMost('queries', 1);
    gone.abort(new Error('client gone'));
    await left;
    await expect(head).resolves.toBe('client gone');
    clock.advance(3_000); // the token the withdrawn head would have had goes to the next
    await expect(next).resolves.toBeUndefined();
    expect(clock.pendingCount()).toBe(0);
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
