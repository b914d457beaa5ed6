import fc from 'fast-check';
import { MemoryBackend, VolatileBackend } from '../persistence/backend';
import { openHubState } from '../state';
import { JOB_T0, QUEUED_JOB } from '../test-support/jobs';
import {
  cancelled,
  completed,
  type DeviceJobRecord,
  deviceStarted,
  started,
  statisticsOf,
  timedOut,
} from './model';
import { JobRepository } from './repository';

const t0 = JOB_T0;
const DEVICES = ['d0', 'd1', 'd2', 'd3', 'd4', 'd5'];
const queued = QUEUED_JOB;
const running = started(queued, DEVICES, t0);

/** Fails every append that carries a record marked to fail (and so the whole batch it is in). */
class MarkedFailureBackend extends MemoryBackend {
  override async append(lines: string) {
    if (lines.includes('FAIL')) throw new Error('disk full');
    await super.append(lines);
  }
}

const write = fc.record({
  device: fc.constantFrom(...DEVICES.slice(0, 5)),
  status: fc.constantFrom<DeviceJobRecord['status']>('running', 'completed', 'failed'),
  fails: fc.boolean(),
  awaited: fc.boolean(),
  // The hub never deletes a device's job record; the counts must still follow the store if it does.
  deletes: fc.nat(9).map((n) => n < 3),
});

function recordOf(w: { device: string; status: DeviceJobRecord['status']; fails: boolean }): DeviceJobRecord {
  return { ...deviceStarted('j', w.device, t0), status: w.status, lastUpdatedTime: w.fails ? 'FAIL' : 'ok' };
}

describe('JobRepository statistics', () => {
  // The counts kept as writes become durable must equal a visit of every durable record (the reference
  // statisticsOf), whatever writes failed or were batched together, for every status the job can have.
  it('equal a count over the durable records, after any mix of failed, batched and deleting writes', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(write, { maxLength: 25 }), async (writes) => {
        const backend = new MarkedFailureBackend();
        const store = await openHubState(backend);
        const repository = new JobRepository(store);
        const settled: Promise<unknown>[] = [];
        for (const w of writes) {
          const put = (
            w.deletes
              ? store.delete('deviceJobs', JSON.stringify(['j', w.device]))
              : repository.putDevice(recordOf(w))
          ).catch(() => undefined);
          settled.push(put);
          if (w.awaited) await put;
        }
        await Promise.all(settled);
        const reopened = new JobRepository(await openHubState(backend));
        for (const job of [running, cancelled(running, t0), timedOut(running, t0), completed(running, t0)]) {
          const expected = statisticsOf(job, repository.devicesOf('j'));
          expect(repository.statisticsOf(job)).toEqual(expected);
          expect(reopened.statisticsOf(job)).toEqual(expected);
        }
        await store.close();
      }),
      { numRuns: 150 },
    );
  });

  it('count a write only once it is durable', async () => {
    let release = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const backend = new VolatileBackend();
    const append = backend.append.bind(backend);
    backend.append = async (lines) => {
      await held;
      await append(lines);
    };
    const store = await openHubState(backend);
    const repository = new JobRepository(store);
    const write = repository.putDevice(deviceStarted('j', 'd0', t0));
    expect(repository.statisticsOf(running)).toMatchObject({ runningCount: 0, pendingCount: 6 });
    release();
    await write;
    expect(repository.statisticsOf(running)).toMatchObject({ runningCount: 1, pendingCount: 5 });
    await store.close();
  });

  it('a job not started yet targets no device', async () => {
    const store = await openHubState(new VolatileBackend());
    const repository = new JobRepository(store);
    await repository.putDevice(deviceStarted('j', 'd0', t0));
    expect(repository.statisticsOf(queued)).toEqual({
      deviceCount: 0,
      failedCount: 0,
      succeededCount: 0,
      runningCount: 0,
      pendingCount: 0,
    });
    await store.close();
  });
});
