import { bringBack } from '../storm';
import { StormTracker } from './tracker';

/** Reconnects arriving over several polls, as a storm's do. */
function reconnectingIn(tracker: StormTracker, waves: string[][]) {
  let t = tracker.restartStartedAt;
  return async () => {
    for (const id of waves.shift() ?? []) tracker.reconnected(id, ++t);
  };
}

describe('bringBack', () => {
  it('calls every device once as it reconnects, never more than the concurrency at once', async () => {
    const ids = Array.from({ length: 20 }, (_, i) => `d${i}`);
    const tracker = new StormTracker(ids, 1000);
    const called: string[] = [];
    let inFlight = 0;
    let most = 0;
    await bringBack(tracker, {
      concurrency: 3,
      pollMs: 1,
      poll: reconnectingIn(tracker, [ids.slice(0, 5), [], ids.slice(5, 19), ids.slice(19)]),
      call: async (id) => {
        inFlight++;
        most = Math.max(most, inFlight);
        await Promise.resolve();
        called.push(id);
        tracker.answered(id, tracker.restartStartedAt + 100);
        inFlight--;
      },
    });
    expect(tracker.done).toBe(true);
    expect([...called].sort()).toEqual([...ids].sort());
    expect(most).toBeLessThanOrEqual(3);
  });

  it('rejects with a failed call once the calls in flight have settled', async () => {
    const tracker = new StormTracker(['a', 'b'], 0);
    const settled: string[] = [];
    await expect(
      bringBack(tracker, {
        concurrency: 2,
        pollMs: 1,
        poll: reconnectingIn(tracker, [['a', 'b']]),
        call: async (id) => {
          if (id === 'a') throw new Error('a failed');
          await Promise.resolve();
          settled.push(id);
        },
      }),
    ).rejects.toThrow('a failed');
    expect(settled).toEqual(['b']);
  });

  it('fails with what is missing when devices do not come back in time', async () => {
    const tracker = new StormTracker(['a', 'b'], 0);
    await expect(
      bringBack(tracker, {
        concurrency: 2,
        pollMs: 1,
        timeoutMs: 20,
        poll: reconnectingIn(tracker, [['a']]),
        call: async (id) => tracker.answered(id, 5),
      }),
    ).rejects.toThrow(/1 of the devices back \(1 reconnected\).*not back e\.g\. b/);
  });
});
