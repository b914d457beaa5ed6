import { StormTracker } from './tracker';

describe('StormTracker', () => {
  it('hands each reconnected device out once, in reconnect order, and ignores connects before the restart', () => {
    const tracker = new StormTracker(['a', 'b', 'c'], 1000);
    tracker.reconnected('a', 999); // the connect of before the restart
    tracker.reconnected('b', 1200);
    tracker.reconnected('a', 1300);
    tracker.reconnected('b', 1400); // a second reconnect of b: already counted
    tracker.reconnected('zz', 1500); // not one of the fleet
    expect(tracker.takeReady()).toEqual(['b', 'a']);
    expect(tracker.takeReady()).toEqual([]);
    tracker.reconnected('c', 1600);
    expect(tracker.takeReady()).toEqual(['c']);
    expect(tracker.reconnectedCount).toBe(3);
  });

  it('is done only when every device answered, and reports times from the restart', () => {
    const tracker = new StormTracker(['a', 'b'], 1000);
    tracker.reconnected('a', 1100);
    tracker.reconnected('b', 1500);
    tracker.answered('a', 1200);
    expect(tracker.done).toBe(false);
    expect(tracker.missing()).toEqual(['b']);
    expect(() => tracker.figures()).toThrow('1 devices are not back');
    tracker.answered('b', 2500);
    tracker.answered('b', 9999); // a later answer does not move the first
    expect(tracker.done).toBe(true);
    expect(tracker.figures()).toEqual({
      reconnectedMs: [100, 500],
      answeredMs: [200, 1500],
      allReconnectedMs: 500,
      allAnsweredMs: 1500,
    });
  });

  it('refuses an answer from a device never seen to reconnect (the bookkeeping would be wrong)', () => {
    const tracker = new StormTracker(['a'], 0);
    expect(() => tracker.answered('a', 5)).toThrow('answered before it was seen to reconnect');
  });
});
