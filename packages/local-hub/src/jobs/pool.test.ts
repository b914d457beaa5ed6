import { runBounded } from './pool';

describe('runBounded', () => {
  it('never runs more than `concurrency` items at once and runs them all in order of start', async () => {
    let active = 0;
    let peak = 0;
    const started: number[] = [];
    await runBounded(
      [1, 2, 3, 4, 5, 6, 7],
      3,
      () => true,
      async (item) => {
        started.push(item);
        active += 1;
        peak = Math.max(peak, active);
        await new Promise((resolve) => setImmediate(resolve));
        active -= 1;
      },
    );
    expect(peak).toBe(3);
    expect(started).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });

  it('takes no new item once `proceed` turns false, letting started ones finish', async () => {
    const started: number[] = [];
    let go = true;
    await runBounded(
      [1, 2, 3, 4],
      2,
      () => go,
      async (item) => {
        started.push(item);
        await new Promise((resolve) => setImmediate(resolve));
        go = false;
      },
    );
    expect(started).toEqual([1, 2]);
  });
});
