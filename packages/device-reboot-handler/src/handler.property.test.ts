import fc from 'fast-check';
import { RESPONSE_MODES } from './flow';
import { attachRebootHandler } from './handler';
import { reportPendingReboot } from './startup';
import { createMemoryRebootStore } from './store';
import { type Deferred, deferred, FakeDeviceClient, type FakeResponse } from './test-support/fake-client';

type Command =
  | { kind: 'request'; valid: boolean; sendFails: boolean; delaySeconds: number }
  | { kind: 'finish'; fails: boolean }
  | { kind: 'twinFailures'; count: number }
  | { kind: 'tick'; ms: number }
  | { kind: 'connect' }
  | { kind: 'startup' };

const command: fc.Arbitrary<Command> = fc.oneof(
  fc.record({
    kind: fc.constant('request' as const),
    valid: fc.boolean(),
    sendFails: fc.boolean(),
    // Some requests are scheduled reboots (answered 202 at once, run after the delay).
    delaySeconds: fc.constantFrom(0, 0, 1, 3),
  }),
  fc.record({ kind: fc.constant('finish' as const), fails: fc.boolean() }),
  fc.record({ kind: fc.constant('twinFailures' as const), count: fc.integer({ min: 1, max: 4 }) }),
  fc.record({ kind: fc.constant('tick' as const), ms: fc.integer({ min: 0, max: 3_000 }) }),
  fc.constant({ kind: 'connect' as const }),
  fc.constant({ kind: 'startup' as const }),
);

// Later than any record: were the start-up call to see a running reboot's record, it would report it
// as interrupted by a restart, at this time.
const processStartedAt = new Date('2026-11-28T06:00:00.000Z');

describe('any sequence of requests and injected failures', () => {
  beforeEach(() => jest.useFakeTimers({ now: new Date('2026-11-28T04:00:00.000Z') }));
  afterEach(() => jest.useRealTimers());

  it('answers every request exactly once, runs at most one reboot at a time, reports nothing false', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...RESPONSE_MODES),
        fc.array(command, { maxLength: 30 }),
        async (mode, commands) => {
          const client = new FakeDeviceClient();
          const store = createMemoryRebootStore();
          const pending: Deferred<void>[] = [];
          const startups: Array<Promise<unknown>> = [];
          let running = 0;
          let maxRunning = 0;
          let rebootsDone = 0;
          let rebootsFailed = 0;
          const handler = attachRebootHandler(client, {
            mode,
            store,
            retry: { maxAttempts: 3, initialDelayMs: 100, maxDelayMs: 1_000, callTimeoutMs: 500 },
            reboot: async () => {
              running += 1;
              maxRunning = Math.max(maxRunning, running);
              const action = deferred();
              pending.push(action);
              try {
                await action.promise;
                rebootsDone += 1;
              } finally {
                running -= 1;
              }
            },
          });
          const responses: FakeResponse[] = [];

          for (const step of commands) {
            switch (step.kind) {
              case 'request':
                responses.push(
                  client.invoke(
                    step.valid ? { reason: 'test', delaySeconds: step.delaySeconds } : { delaySeconds: -1 },
                    {
                      send: step.sendFails ? new Error('not connected') : 'ok',
                    },
                  ),
                );
                break;
              case 'finish': {
                const action = pending.shift();
                if (step.fails && action) rebootsFailed += 1;
                if (step.fails) action?.reject(new Error('reboot refused'));
                else action?.resolve();
                break;
              }
              case 'twinFailures':
                client.updateBehaviours.push(...Array<Error>(step.count).fill(new Error('connection lost')));
                break;
              case 'tick':
                await jest.advanceTimersByTimeAsync(step.ms);
                break;
              case 'connect':
                client.emit('connect');
                break;
              case 'startup':
                // E.g. an app calling the start-up report again after reopening its client.
                startups.push(
                  reportPendingReboot(client, { store, processStartedAt }).catch(() => undefined),
                );
                break;
            }
            await jest.advanceTimersByTimeAsync(0);
          }
          // Let everything still running complete (in respond-then-reboot an action starts only after
          // the `rebooting` report, which may still be retrying).
          for (;;) {
            await jest.runAllTimersAsync();
            const action = pending.shift();
            if (!action) break;
            action.resolve();
          }
          await handler.detach();
          await Promise.all(startups);

          expect(maxRunning).toBeLessThanOrEqual(1);
          for (const response of responses) expect(response.sends).toHaveLength(1);
          // At most one reported reboot time per completed reboot, and never a running reboot's
          // record mistaken for one that a restart interrupted.
          expect(new Set(client.reportedTimes()).size).toBeLessThanOrEqual(rebootsDone);
          expect(client.reportedTimes()).not.toContain(processStartedAt.toISOString());
          // A `failed` state only for an action that failed; `rebooting` only in respond-then-reboot or
          // for a scheduled reboot (the waits have all run out before detach: none was cancelled).
          const states = client.reportedStates().map((state) => state.status);
          expect(states.filter((s) => s === 'failed').length).toBeLessThanOrEqual(rebootsFailed);
          const scheduled = commands.some((c) => c.kind === 'request' && c.valid && c.delaySeconds > 0);
          if (mode === 'report-then-respond' && !scheduled) expect(states).not.toContain('rebooting');
        },
      ),
      { numRuns: 150 },
    );
  });
});
