import type { PendingReboot } from '@iothub-reboot/contracts';
import { RetriesExhaustedError } from './errors';
import { reportPendingReboot } from './startup';
import { createMemoryRebootStore, type PendingRebootStore } from './store';
import { captureLogger, FakeDeviceClient } from './test-support/fake-client';

const processStartedAt = new Date('2026-11-28T04:10:00.000Z');
const base = { version: 1, requestId: 'r-7', acceptedAt: '2026-11-28T04:00:00.000Z' } as const;
const retry = { maxAttempts: 2, initialDelayMs: 10, maxDelayMs: 10, callTimeoutMs: 100 };

describe('reportPendingReboot', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('does nothing when no reboot is pending', async () => {
    const client = new FakeDeviceClient();
    await expect(
      reportPendingReboot(client, { store: createMemoryRebootStore(), processStartedAt }),
    ).resolves.toEqual({
      status: 'none',
    });
    expect(client.getTwinCalls).toBe(0);
  });

  it('reports a rebooted record with its time, then clears it', async () => {
    const store = createMemoryRebootStore({
      ...base,
      phase: 'rebooted',
      rebootTime: '2026-11-28T04:00:02.000Z',
    });
    const client = new FakeDeviceClient();
    await expect(reportPendingReboot(client, { store, processStartedAt })).resolves.toEqual({
      status: 'reported',
      requestId: 'r-7',
      rebootTime: new Date('2026-11-28T04:00:02.000Z'),
      recoveredFromRestart: false,
    });
    expect(client.reportedTimes()).toEqual(['2026-11-28T04:00:02.000Z']);
    await expect(store.load()).resolves.toBeUndefined();
  });

  it('reports a restart that ended the process mid-reboot as completed at process start, logging the milestones', async () => {
    const store = createMemoryRebootStore({ ...base, phase: 'rebooting' });
    const client = new FakeDeviceClient();
    const { logger, lines } = captureLogger();
    const outcome = await reportPendingReboot(client, { store, processStartedAt, logger });
    expect(outcome).toMatchObject({
      status: 'reported',
      rebootTime: processStartedAt,
      recoveredFromRestart: true,
    });
    expect(client.reportedTimes()).toEqual([processStartedAt.toISOString()]);
    expect(lines.map((l) => [l.msg, l.requestId])).toEqual([
      ['Device rebooted', 'r-7'],
      ['Device twin updated with latest rebootTime', 'r-7'],
    ]);
    await expect(reportPendingReboot(client, { store, processStartedAt })).resolves.toEqual({
      status: 'none',
    });
  });

  it("echoes the record's correlation id and start in the report after a restart", async () => {
    const store = createMemoryRebootStore({ ...base, phase: 'rebooting', correlationId: 'c-restart' });
    const client = new FakeDeviceClient();
    await reportPendingReboot(client, { store, processStartedAt });
    expect(client.reportedStates()).toEqual([
      {
        status: 'rebooted',
        lastReboot: processStartedAt.toISOString(),
        correlationId: 'c-restart',
        startedAt: base.acceptedAt,
        scheduledFor: null,
        reason: null,
      },
    ]);
  });

  it('discards a rebooting record younger than the process (that reboot never happened)', async () => {
    const store = createMemoryRebootStore({
      ...base,
      phase: 'rebooting',
      acceptedAt: '2026-11-28T04:11:00.000Z',
    });
    const client = new FakeDeviceClient();
    await expect(reportPendingReboot(client, { store, processStartedAt })).resolves.toEqual({
      status: 'discarded',
      requestId: 'r-7',
    });
    expect(client.reported).toEqual([]);
    await expect(store.load()).resolves.toBeUndefined();
  });

  it('keeps the record, fixed at the first computed time, when the report fails; a later call sends that time', async () => {
    const store = createMemoryRebootStore({ ...base, phase: 'rebooting' });
    const client = new FakeDeviceClient();
    client.updateBehaviours.push(new Error('offline'), new Error('offline'));
    const first = reportPendingReboot(client, { store, processStartedAt, retry }).catch(
      (err: unknown) => err,
    );
    await jest.runAllTimersAsync();
    expect(await first).toBeInstanceOf(RetriesExhaustedError);
    await expect(store.load()).resolves.toEqual({
      ...base,
      phase: 'rebooted',
      rebootTime: processStartedAt.toISOString(),
    });
    // The next start has a later process start time; the report still carries the first one.
    const later = new Date('2026-11-28T05:00:00.000Z');
    await expect(
      reportPendingReboot(client, { store, processStartedAt: later, retry }),
    ).resolves.toMatchObject({
      rebootTime: processStartedAt,
    });
    expect(client.reportedTimes()).toEqual([processStartedAt.toISOString()]);
  });

  it('still counts as reported when clearing fails (a repeat report of the same time is harmless)', async () => {
    const inner = createMemoryRebootStore({
      ...base,
      phase: 'rebooted',
      rebootTime: '2026-11-28T04:00:02.000Z',
    });
    const store: PendingRebootStore = { ...inner, clear: () => Promise.reject(new Error('read-only')) };
    const { logger, lines } = captureLogger();
    await expect(
      reportPendingReboot(new FakeDeviceClient(), { store, processStartedAt, logger }),
    ).resolves.toMatchObject({
      status: 'reported',
    });
    expect(lines.some((l) => l.msg === 'Could not clear the reported pending reboot' && l.level === 50)).toBe(
      true,
    );
  });

  it('rejects with the store error when the store cannot be read', async () => {
    const failing: PendingRebootStore = {
      load: () => Promise.reject(new Error('unreadable')),
      save: (_r: PendingReboot) => Promise.resolve(),
      clear: () => Promise.resolve(),
    };
    await expect(
      reportPendingReboot(new FakeDeviceClient(), { store: failing, processStartedAt }),
    ).rejects.toThrow('unreadable');
  });
});
