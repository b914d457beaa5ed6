import fc from 'fast-check';
import { mapSettledWithLimit } from './concurrency';

describe('mapSettledWithLimit', () => {
  it('keeps input order, settles every item and never runs more than the limit at once', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.nat(3), { maxLength: 40 }),
        fc.integer({ min: 1, max: 8 }),
        async (delays, limit) => {
          let running = 0;
          let peak = 0;
          const results = await mapSettledWithLimit(delays, limit, async (ticks, index) => {
            running++;
            peak = Math.max(peak, running);
            for (let i = 0; i < ticks; i++) await Promise.resolve();
            running--;
            if (index % 5 === 4) throw new Error(`item ${index}`);
            return index;
          });
          expect(peak).toBeLessThanOrEqual(limit);
          expect(results).toHaveLength(delays.length);
          expect(results).toEqual(
            delays.map((_, index) =>
              index % 5 === 4
                ? { status: 'rejected', reason: new Error(`item ${index}`) }
                : { status: 'fulfilled', value: index },
            ),
          );
        },
      ),
    );
  });

  it('refuses a limit below one', async () => {
    await expect(mapSettledWithLimit([1], 0, async () => 1)).rejects.toThrow(RangeError);
  });
});
