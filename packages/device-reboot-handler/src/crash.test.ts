import { attachRebootHandler } from './handler';
import { reportPendingReboot } from './startup';
import { createMemoryRebootStore, type PendingRebootStore } from './store';
import { type CallBehaviour, FakeDeviceClient } from './test-support/fake-client';

/**
 * A process that dies after its first `budget` durable or external operations (store writes, the reboot
 * action, twin updates): the next one never completes, and nothing after it happens.
 */
class Life {
  private budget: number;
  constructor(budget: number) {
    this.budget = budget;
  }

  /** Runs `operation` if the process is still alive; otherwise never settles. */
  gate<T>(operation: () => Promise<T>): Promise<T> {
    if (this.budget === 0) return new Promise(() => undefined);
    this.budget -= 1;
    return operation();
  }

  store(durable: PendingRebootStore): PendingRebootStore {
    return {
      load: () => durable.load(),
      save: (record) => this.gate(() => durable.save(record)),
      clear: () => this.gate(() => durable.clear()),
    };
  }
}

class MortalClient extends FakeDeviceClient {
  constructor(private readonly life: Life) {
    super();
  }
  protected override nextUpdateBehaviour(): CallBehaviour {
    let behaviour: CallBehaviour = 'hang';
    void this.life.gate(async () => {
      behaviour = 'ok';
    });
    return behaviour;
  }
}

const accepted = new Date('2026-11-28T04:00:00.000Z');
const restartedAt = new Date('2026-11-28T04:05:00.000Z');
const rebootDone = 1_000;

// Operations of one accepted request, in order: save rebooting, (respond-then-reboot: twin update
// `rebooting`), reboot, save rebooted, twin update, clear.
describe.each(['report-then-respond', 'respond-then-reboot'] as const)('a crash in %s', (mode) => {
  beforeEach(() => jest.useFakeTimers({ now: accepted }));
  afterEach(() => jest.useRealTimers());

  it.each([0, 1, 2, 3, 4, 5, 6])(
    'after %i operations still gets the reboot reported, with one single reboot time',
    async (budget) => {
      const durable = createMemoryRebootStore();
      const life = new Life(budget);
      const first = new MortalClient(life);
      attachRebootHandler(first, {
        mode,
        store: life.store(durable),
        reboot: () =>
          life.gate(async () => {
            jest.setSystemTime(accepted.getTime() + rebootDone);
          }),
      });
      first.invoke({});
      await jest.advanceTimersByTimeAsync(0);

      // The next process: a new client, same durable store.
      const second = new FakeDeviceClient();
      const third = new FakeDeviceClient();
      const outcome = await reportPendingReboot(second, { store: durable, processStartedAt: restartedAt });
      await expect(
        reportPendingReboot(third, { store: durable, processStartedAt: restartedAt }),
      ).resolves.toEqual({
        status: 'none',
      });

      const reported = [...first.reportedTimes(), ...second.reportedTimes(), ...third.reportedTimes()];
      if (budget === 0) {
        // Died before the record was durable: nothing was accepted and nothing rebooted.
        expect(reported).toEqual([]);
        expect(outcome).toEqual({ status: 'none' });
        return;
      }
      expect(new Set(reported).size).toBe(1);
      // Died before the reboot time was recorded: the restart itself counts as the reboot.
      const announced = mode === 'respond-then-reboot' ? 1 : 0;
      const expected = budget <= 2 + announced ? restartedAt : new Date(accepted.getTime() + rebootDone);
      expect(reported[0]).toBe(expected.toISOString());
    },
  );
});
