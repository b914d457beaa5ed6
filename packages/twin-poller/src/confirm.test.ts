import { buildRebootReport, buildRebootStateReport } from '@iothub-reboot/contracts';
import fc from 'fast-check';
import { checkRebootConfirmed, newCorrelationId, rebootConfirmed, withCorrelationId } from './confirm';
import { PollOptionsError, RebootFailedError } from './errors';
import { pollTwinUntilRebooted } from './reboot';

const REQUESTED = new Date('2026-01-01T12:00:00.000Z');
const at = (ms: number) => new Date(REQUESTED.getTime() + ms);
const HOUR = 3_600_000;

/** A twin as the hub returns it: reported properties and, when `writtenAt` is given, `$metadata`. */
function twin(reported: Record<string, unknown>, writtenAt?: Date, idWrittenAt = writtenAt) {
  const stamp = (d: Date | undefined) => (d ? { $lastUpdated: d.toISOString() } : undefined);
  const $metadata = writtenAt
    ? {
        rebootTime: stamp(writtenAt),
        iothubDM: { reboot: { lastReboot: stamp(writtenAt), correlationId: stamp(idWrittenAt) } },
      }
    : undefined;
  return { deviceId: 'd1', properties: { reported: { ...reported, ...($metadata ? { $metadata } : {}) } } };
}
const criteria = { requestedAt: REQUESTED, clockSkewMs: 0, correlationId: 'c-new' };

describe('checkRebootConfirmed', () => {
  it('confirms by the echoed correlation id even with a device clock an hour behind', () => {
    const report = buildRebootReport(at(-HOUR), { correlationId: 'c-new', startedAt: at(-HOUR) });
    expect(checkRebootConfirmed(twin(report, at(500)), criteria)).toEqual({
      done: true,
      value: {
        outcome: 'rebooted',
        reported: true,
        rebootTime: at(-HOUR),
        source: 'iothubDM.reboot.lastReboot',
        confirmedBy: 'correlation-id',
        correlationId: 'c-new',
        writtenAt: at(500),
      },
    });
  });

  it('ends at once with the reason when the device reports this request failed', () => {
    const failed = buildRebootStateReport({
      status: 'failed',
      correlationId: 'c-new',
      startedAt: at(10),
      reason: 'relay stuck',
    });
    expect(checkRebootConfirmed(twin(failed), criteria)).toEqual({
      done: true,
      value: { outcome: 'failed', reason: 'relay stuck', correlationId: 'c-new', startedAt: at(10) },
    });
  });

  it('waits while the device reports rebooting, saying since when and until when', () => {
    const rebooting = buildRebootStateReport({
      status: 'rebooting',
      correlationId: 'c-new',
      startedAt: at(10),
      scheduledFor: at(60_010),
    });
    const verdict = checkRebootConfirmed(twin({ ...buildRebootReport(at(-HOUR)), ...rebooting }), criteria);
    expect(verdict).toEqual({
      done: false,
      reason: `the device reports rebooting since ${at(10).toISOString()}, planned for ${at(60_010).toISOString()}`,
    });
  });

  it("waits on another request's state written after the request, whatever the clocks say", () => {
    // An owed report of an earlier request, delivered late: new on both clocks, but not ours.
    const old = buildRebootReport(at(100), { correlationId: 'c-old' });
    expect(checkRebootConfirmed(twin(old, at(200)), criteria)).toMatchObject({
      done: false,
      reason: expect.stringMatching(/another request \(correlation id c-old\)/),
    });
    // A failure of another request does not end the wait either.
    const otherFailed = buildRebootStateReport({
      status: 'failed',
      correlationId: 'c-old',
      startedAt: at(1),
      reason: 'x',
    });
    expect(checkRebootConfirmed(twin(otherFailed), criteria).done).toBe(false);
  });

  it('falls back to the hub clock for a stale id the hub wrote before the request (a device that stopped echoing)', () => {
    const reported = {
      ...buildRebootReport(at(-HOUR), { correlationId: 'c-old' }),
      rebootTime: at(-HOUR).toISOString(),
    };
    expect(checkRebootConfirmed(twin(reported, at(300), at(-HOUR)), criteria)).toMatchObject({
      done: true,
      value: { confirmedBy: 'hub-clock', writtenAt: at(300) },
    });
  });

  it("falls back to the hub clock, then the device clock, for the tutorial's and Microsoft's devices", () => {
    const tutorial = { rebootTime: at(-HOUR).toISOString() }; // device clock an hour behind
    expect(checkRebootConfirmed(twin(tutorial, at(300)), criteria)).toMatchObject({
      done: true,
      value: { confirmedBy: 'hub-clock', source: 'rebootTime', rebootTime: at(-HOUR) },
    });
    const microsoft = { iothubDM: { reboot: { lastReboot: at(300).toISOString() } } };
    expect(checkRebootConfirmed(twin(microsoft), criteria)).toMatchObject({
      done: true,
      value: { confirmedBy: 'device-clock', source: 'iothubDM.reboot.lastReboot' },
    });
    // The hub clock is not fooled: written before the request, whatever the device clock says.
    expect(checkRebootConfirmed(twin({ rebootTime: at(HOUR).toISOString() }, at(-1)), criteria).done).toBe(
      false,
    );
  });

  it('uses only the clock rules it is given', () => {
    const tutorial = twin({ rebootTime: at(-HOUR).toISOString() }, at(300));
    expect(checkRebootConfirmed(tutorial, { ...criteria, fallback: ['device-clock'] }).done).toBe(false);
    expect(
      checkRebootConfirmed(twin({ rebootTime: at(5).toISOString() }), {
        ...criteria,
        fallback: ['hub-clock'],
      }),
    ).toEqual({
      done: false,
      reason: 'the twin has no $metadata to judge by',
    });
  });

  it('rejects bad criteria', () => {
    expect(() => rebootConfirmed({ requestedAt: REQUESTED, correlationId: 'not valid' })).toThrow(
      PollOptionsError,
    );
    expect(() => rebootConfirmed({ requestedAt: REQUESTED, fallback: ['sundial' as never] })).toThrow(
      PollOptionsError,
    );
  });

  it('never throws on any twin, and confirms by correlation only with the exact id', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.jsonValue(), (reported, reboot) => {
        for (const value of [reported, { properties: { reported } }, twin({ iothubDM: { reboot } })]) {
          const verdict = checkRebootConfirmed(value, criteria);
          if (verdict.done && verdict.value.outcome === 'failed') {
            expect(verdict.value.correlationId).toBe('c-new');
          }
          if (
            verdict.done &&
            verdict.value.outcome === 'rebooted' &&
            verdict.value.confirmedBy === 'correlation-id'
          ) {
            expect(verdict.value.correlationId).toBe('c-new');
          }
        }
      }),
    );
  });

  it('a report carrying the correlation id confirms whatever the device clock (property)', () => {
    const offset = fc.integer({ min: -30 * 24 * HOUR, max: 30 * 24 * HOUR });
    fc.assert(
      fc.property(offset, offset, (deviceOffset, writeOffset) => {
        const report = buildRebootReport(at(deviceOffset), { correlationId: 'c-new' });
        const verdict = checkRebootConfirmed(twin(report, at(writeOffset)), criteria);
        expect(verdict).toMatchObject({ done: true, value: { confirmedBy: 'correlation-id' } });
      }),
    );
  });
});

describe('withCorrelationId', () => {
  it('adds an id to absent, object and double-encoded payloads, and keeps a chosen one', () => {
    expect(withCorrelationId(undefined, 'c-1')).toEqual({
      payload: { correlationId: 'c-1' },
      correlationId: 'c-1',
    });
    expect(withCorrelationId(null, 'c-1').payload).toEqual({ correlationId: 'c-1' });
    expect(withCorrelationId({ method_number: '42' }, 'c-1')).toEqual({
      payload: { method_number: '42', correlationId: 'c-1' },
      correlationId: 'c-1',
    });
    expect(withCorrelationId('{"method_number":"42"}', 'c-1')).toEqual({
      payload: '{"method_number":"42","correlationId":"c-1"}',
      correlationId: 'c-1',
    });
    expect(withCorrelationId({ correlationId: 'mine' }, 'c-1')).toEqual({
      payload: { correlationId: 'mine' },
      correlationId: 'mine',
    });
  });

  it('leaves payloads that cannot carry one unchanged', () => {
    for (const payload of [[1], 42, 'not json', '[1]', { correlationId: 7 }]) {
      expect(withCorrelationId(payload, 'c-1')).toEqual({ payload, correlationId: undefined });
    }
  });

  it('generates ids the contract accepts', () => {
    const id = newCorrelationId();
    expect(id).toMatch(/^reboot-[0-9a-f-]{36}$/);
    expect(() => rebootConfirmed({ requestedAt: REQUESTED, correlationId: id })).not.toThrow();
    expect(newCorrelationId()).not.toBe(id);
  });
});

describe('pollTwinUntilRebooted with a correlation id', () => {
  beforeEach(() => jest.useFakeTimers({ now: REQUESTED }));
  afterEach(() => jest.useRealTimers());

  it('rejects with RebootFailedError as soon as the device reports this request failed', async () => {
    const states = [
      buildRebootStateReport({ status: 'rebooting', correlationId: 'c-new', startedAt: at(1) }),
      buildRebootStateReport({
        status: 'failed',
        correlationId: 'c-new',
        startedAt: at(1),
        reason: 'no power',
      }),
    ];
    let i = 0;
    const registry = { getTwin: async () => ({ responseBody: twin(states[Math.min(i++, 1)] ?? {}) }) };
    const done = pollTwinUntilRebooted(registry, 'd1', {
      ...criteria,
      intervalMs: 1000,
      maxAttempts: 10,
    }).catch((e: unknown) => e);
    await jest.runAllTimersAsync();
    const error = await done;
    expect(error).toBeInstanceOf(RebootFailedError);
    expect(error).toMatchObject({ deviceId: 'd1', reason: 'no power', correlationId: 'c-new', attempts: 2 });
  });
});
