import type { LastReboot } from '@iothub-reboot/contracts';
import { buildRebootReport } from '@iothub-reboot/contracts';
import { PollFatalError, PollOptionsError, PollTimeoutError } from './errors';
import { checkRebootAfter, pollTwinUntilRebooted, rebootReportedAfter } from './reboot';

const REQUESTED = new Date('2026-01-01T12:00:00.000Z');
const at = (offsetMs: number) => new Date(REQUESTED.getTime() + offsetMs);
const reported = (offsetMs: number): LastReboot => ({
  reported: true,
  rebootTime: at(offsetMs),
  source: 'rebootTime',
});
const twin = (reportedProps: unknown) => ({
  deviceId: 'dev1',
  properties: { desired: {}, reported: reportedProps },
});

describe('checkRebootAfter', () => {
  it('accepts only a reboot later than the request less the clock-skew margin', () => {
    const criteria = { requestedAt: REQUESTED, clockSkewMs: 2000 };
    expect(checkRebootAfter(reported(1), criteria)).toMatchObject({ done: true });
    expect(checkRebootAfter(reported(-1999), criteria)).toMatchObject({ done: true });
    expect(checkRebootAfter(reported(-2000), criteria)).toMatchObject({
      done: false,
      reason: expect.stringMatching(/is not after 2026-01-01T11:59:58.000Z/),
    });
    expect(checkRebootAfter(reported(-60_000), criteria).done).toBe(false);
  });

  it('defaults to a 5 s margin and allows none', () => {
    expect(checkRebootAfter(reported(-4999), { requestedAt: REQUESTED }).done).toBe(true);
    expect(checkRebootAfter(reported(-5000), { requestedAt: REQUESTED }).done).toBe(false);
    expect(checkRebootAfter(reported(0), { requestedAt: REQUESTED, clockSkewMs: 0 }).done).toBe(false);
  });

  it('passes on why nothing is reported yet', () => {
    expect(
      checkRebootAfter({ reported: false, reason: 'no reboot reported yet' }, { requestedAt: REQUESTED }),
    ).toEqual({ done: false, reason: 'no reboot reported yet' });
  });

  it.each([
    [{ requestedAt: new Date('nope') }, /requestedAt/],
    [{ requestedAt: '2026-01-01' }, /requestedAt/],
    [{ requestedAt: REQUESTED, clockSkewMs: -1 }, /clockSkewMs/],
  ])('rejects bad criteria %j', (criteria, message) => {
    expect(() => rebootReportedAfter(criteria as never)).toThrow(PollOptionsError);
    expect(() => rebootReportedAfter(criteria as never)).toThrow(message);
  });

  it('reads a whole twin for the fleet mode', () => {
    const check = rebootReportedAfter({ requestedAt: REQUESTED });
    expect(check(twin(buildRebootReport(at(3000))))).toMatchObject({
      done: true,
      value: { rebootTime: at(3000) },
    });
    expect(check(twin({ $version: 1 }))).toEqual({ done: false, reason: 'no reboot reported yet' });
  });
});

describe('pollTwinUntilRebooted', () => {
  beforeEach(() => jest.useFakeTimers({ now: REQUESTED }));
  afterEach(() => jest.useRealTimers());

  /** A registry whose twin reports each given patch in turn (the last repeats). */
  function registryReporting(...patches: unknown[]) {
    let i = 0;
    return {
      getTwin: jest.fn(async (_id: string) => ({
        responseBody: twin(patches[Math.min(i++, patches.length - 1)]),
      })),
    };
  }

  it('ignores the previous reboot and resolves with the one after the request', async () => {
    const registry = registryReporting({}, buildRebootReport(at(-3_600_000)), buildRebootReport(at(4000)));
    const done = pollTwinUntilRebooted(registry, 'dev1', { requestedAt: REQUESTED, intervalMs: 1000 });
    await jest.runAllTimersAsync();
    await expect(done).resolves.toEqual({
      value: {
        reported: true,
        rebootTime: at(4000),
        source: 'rebootTime',
        outcome: 'rebooted',
        confirmedBy: 'device-clock',
      },
      attempts: 3,
      elapsedMs: 2000,
    });
    expect(registry.getTwin).toHaveBeenCalledWith('dev1');
  });

  it('times out with the stale reboot as the last observation', async () => {
    const registry = registryReporting(buildRebootReport(at(-3_600_000)));
    const done = pollTwinUntilRebooted(registry, 'dev1', { requestedAt: REQUESTED, maxAttempts: 3 }).catch(
      (e: unknown) => e,
    );
    await jest.runAllTimersAsync();
    const error = (await done) as PollTimeoutError<LastReboot>;
    expect(error).toBeInstanceOf(PollTimeoutError);
    expect(error.message).toBe(
      'Gave up waiting for a reboot of dev1 after 2026-01-01T12:00:00.000Z: all 3 attempts were used (4000 ms)',
    );
    expect(error.lastObservation).toEqual({
      reported: true,
      rebootTime: at(-3_600_000),
      source: 'rebootTime',
    });
  });

  it('with confirmBy hub-clock, judges by when the hub wrote the report, not by the device clock', async () => {
    // The device clock runs 10 minutes behind: its fresh report looks older than the request.
    const behind = buildRebootReport(at(-600_000));
    const written = (when: Date) => ({
      ...twin(behind),
      properties: {
        reported: { ...behind, $metadata: { rebootTime: { $lastUpdated: when.toISOString() } } },
      },
    });
    let reads = 0;
    const registry = {
      getTwin: jest.fn(async () => ({ responseBody: written(reads++ === 0 ? at(-60_000) : at(3000)) })),
    };
    const done = pollTwinUntilRebooted(registry, 'dev1', {
      requestedAt: REQUESTED,
      intervalMs: 1000,
      confirmBy: 'hub-clock',
    });
    await jest.runAllTimersAsync();
    await expect(done).resolves.toMatchObject({
      value: { reported: true, rebootTime: at(-600_000), writtenAt: at(3000) },
      attempts: 2,
    });
  });

  it('refuses an unknown confirmBy', async () => {
    await expect(
      pollTwinUntilRebooted(registryReporting({}), 'dev1', {
        requestedAt: REQUESTED,
        confirmBy: 'sundial' as 'hub-clock',
      }),
    ).rejects.toThrow(/confirmBy/);
  });

  it('fails at once for an unknown device, naming it', async () => {
    const registry = {
      getTwin: jest.fn(async () => {
        throw Object.assign(new Error('no such device'), {
          name: 'DeviceNotFoundError',
          response: { statusCode: 404 },
        });
      }),
    };
    const done = pollTwinUntilRebooted(registry, 'ghost', { requestedAt: REQUESTED });
    await expect(done).rejects.toThrow(PollFatalError);
    await expect(done).rejects.toThrow(/ghost.*not registered in this hub/);
    expect(registry.getTwin).toHaveBeenCalledTimes(1);
  });

  it.each([
    ['', { requestedAt: REQUESTED }, /device id/],
    ['bad id', { requestedAt: REQUESTED }, /device id/],
    ['dev1', { requestedAt: new Date(Number.NaN) }, /requestedAt/],
    ['dev1', null, /options/],
  ])('rejects bad input (%j) without calling the hub', async (id, options, message) => {
    const registry = registryReporting({});
    await expect(pollTwinUntilRebooted(registry, id, options as never)).rejects.toThrow(message);
    expect(registry.getTwin).not.toHaveBeenCalled();
  });
});
