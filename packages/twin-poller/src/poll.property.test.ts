import fc from 'fast-check';
import { PollFatalError, PollTimeoutError } from './errors';
import { pollUntil } from './poll';

// A scripted read: after `delayMs` it returns a low or high observation, fails (transiently or
// fatally), or never answers. It honours its AbortSignal, as a well-behaved read should.
type Step = { delayMs: number; result: 'low' | 'high' | 'transient' | 'fatal' | 'hang' };

const stepArb: fc.Arbitrary<Step> = fc.record({
  delayMs: fc.nat(3000),
  result: fc.constantFrom('low', 'high', 'transient', 'fatal', 'hang'),
});

const optionsArb = fc.record({
  intervalMs: fc.nat(2000),
  maxAttempts: fc.integer({ min: 1, max: 12 }),
  timeoutMs: fc.integer({ min: 1, max: 20_000 }),
  readTimeoutMs: fc.integer({ min: 1, max: 5000 }),
  backoff: fc.record({ initialMs: fc.nat(1000), maxMs: fc.nat(5000) }),
  retryAfterSeconds: fc.option(fc.nat(5), { nil: undefined }),
  random: fc.double({ min: 0, max: 0.999, noNaN: true }),
});

beforeEach(() => jest.useFakeTimers());
afterEach(() => jest.useRealTimers());

it('never exceeds maxAttempts or the deadline, resolves on the first satisfying observation, leaves nothing behind', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(stepArb, { minLength: 1, maxLength: 15 }), optionsArb, async (steps, o) => {
      const start = Date.now();
      const readStarts: number[] = [];
      const delivered: number[] = [];
      const seen: number[] = [];
      const read = (signal: AbortSignal) =>
        new Promise<number>((resolve, reject) => {
          const index = readStarts.length;
          readStarts.push(Date.now() - start);
          const step = steps[Math.min(index, steps.length - 1)] as Step;
          if (step.result === 'hang') return;
          const timer = setTimeout(() => {
            if (step.result === 'transient' || step.result === 'fatal') {
              const status = step.result === 'transient' ? 503 : 401;
              const headers =
                o.retryAfterSeconds === undefined ? {} : { 'retry-after': `${o.retryAfterSeconds}` };
              reject(Object.assign(new Error('hub error'), { response: { statusCode: status, headers } }));
            } else {
              delivered.push(index);
              resolve(index);
            }
          }, step.delayMs);
          signal.addEventListener('abort', () => clearTimeout(timer));
        });
      const isHigh = (index: number) => steps[Math.min(index, steps.length - 1)]?.result === 'high';

      let timersAtSettle = -1;
      let settledAt = -1;
      const settled = pollUntil({
        read,
        check: (index: number) => {
          seen.push(index);
          return isHigh(index) ? { done: true, value: index } : { done: false, reason: 'low' };
        },
        intervalMs: o.intervalMs,
        maxAttempts: o.maxAttempts,
        timeoutMs: o.timeoutMs,
        readTimeoutMs: o.readTimeoutMs,
        backoff: o.backoff,
        random: () => o.random,
      }).then(
        (result) => ({ ok: true as const, result }),
        (error: unknown) => ({ ok: false as const, error }),
      );
      void settled.then(() => {
        timersAtSettle = jest.getTimerCount();
        settledAt = Date.now() - start;
      });
      await jest.runAllTimersAsync();
      const outcome = await settled;

      // Bounds: attempts and deadline.
      expect(readStarts.length).toBeLessThanOrEqual(o.maxAttempts);
      for (const at of readStarts) expect(at).toBeLessThan(o.timeoutMs);
      expect(settledAt).toBeLessThanOrEqual(o.timeoutMs);
      // Nothing of the poll (nor of the reads it aborted) is left pending.
      expect(timersAtSettle).toBe(0);
      // The predicate saw every observation that arrived in time, in order.
      expect(seen).toEqual(delivered);

      const firstHigh = seen.findIndex(isHigh);
      if (outcome.ok) {
        expect(firstHigh).toBe(seen.length - 1);
        expect(outcome.result.value).toBe(seen[firstHigh]);
        expect(outcome.result.attempts).toBe(readStarts.length);
        expect(outcome.result.elapsedMs).toBe(settledAt);
      } else {
        expect(firstHigh).toBe(-1);
        const lastIndex = readStarts.length - 1;
        const lastStep = steps[Math.min(lastIndex, steps.length - 1)] as Step;
        if (outcome.error instanceof PollFatalError) {
          expect(lastStep.result).toBe('fatal');
        } else {
          expect(outcome.error).toBeInstanceOf(PollTimeoutError);
          const error = outcome.error as PollTimeoutError<number>;
          expect(error.attempts).toBe(readStarts.length);
          if (error.reason === 'attempts') expect(readStarts.length).toBe(o.maxAttempts);
          expect(error.lastObservation).toBe(seen.at(-1));
        }
      }
    }),
    { numRuns: 300 },
  );
});
