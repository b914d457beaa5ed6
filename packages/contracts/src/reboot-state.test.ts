import fc from 'fast-check';
import { ContractError } from './errors';
import { LIMITS } from './limits';
import { parseRebootRequest } from './reboot-request';
import { buildRebootStateReport, readRebootState, readRebootStateFromTwin } from './reboot-state';
import { buildRebootReport, readLastReboot } from './reported-properties';

const startedAt = new Date('2026-11-28T04:00:00.000Z');
const done = new Date('2026-11-28T04:00:20.000Z');

/** IoT Hub's merge patch: objects merge, `null` deletes, anything else replaces. */
function merge(target: Record<string, unknown>, patch: Record<string, unknown>): Record<string, unknown> {
  const out = { ...target };
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    else if (typeof value === 'object' && !Array.isArray(value)) {
      const current = out[key];
      out[key] = merge(
        typeof current === 'object' && current !== null ? (current as Record<string, unknown>) : {},
        value as Record<string, unknown>,
      );
    } else out[key] = value;
  }
  return out;
}

describe('reboot state report', () => {
  it('reports rebooting with the correlation id, the start and the planned time', () => {
    const scheduledFor = new Date('2026-11-28T04:01:00.000Z');
    expect(
      buildRebootStateReport({ status: 'rebooting', correlationId: 'c-1', startedAt, scheduledFor }),
    ).toEqual({
      iothubDM: {
        reboot: {
          status: 'rebooting',
          correlationId: 'c-1',
          startedAt: '2026-11-28T04:00:00.000Z',
          scheduledFor: '2026-11-28T04:01:00.000Z',
          reason: null,
        },
      },
    });
  });

  it('keeps the last reboot time across a rebooting report (no lastReboot, no rebootTime in it)', () => {
    const before = merge({}, buildRebootReport(done));
    const after = merge(before, buildRebootStateReport({ status: 'rebooting', startedAt }));
    expect(readLastReboot(after)).toMatchObject({ reported: true, rebootTime: done });
    expect(readRebootState(after)).toMatchObject({ known: true, status: 'rebooting', lastReboot: done });
  });

  it('reports failed with a short reason whose secrets are masked', () => {
    const reason = `open failed: HostName=h;DeviceId=d;SharedAccessKey=c2VjcmV0S2V5 ${'x'.repeat(500)}`;
    const patch = buildRebootStateReport({ status: 'failed', correlationId: 'c-2', startedAt, reason });
    const text = patch.iothubDM.reboot.reason ?? '';
    expect(text).not.toContain('c2VjcmV0S2V5');
    expect(text).toContain('SharedAccessKey=***');
    expect(text.length).toBeLessThanOrEqual(LIMITS.failureReasonLength);
    expect(text.endsWith('…')).toBe(true);
  });

  it('a rebooted report after a failure deletes the reason', () => {
    const failed = merge(
      {},
      buildRebootStateReport({ status: 'failed', correlationId: 'c-1', startedAt, reason: 'disk' }),
    );
    const rebooted = merge(failed, buildRebootReport(done, { correlationId: 'c-2', startedAt }));
    expect(readRebootState(rebooted)).toEqual({
      known: true,
      status: 'rebooted',
      correlationId: 'c-2',
      startedAt,
      lastReboot: done,
    });
  });

  it.each([
    [{ status: 'rebooting', startedAt: new Date('nope') }],
    [{ status: 'failed', startedAt, reason: 'x', correlationId: '' }],
    [{ status: 'rebooting', startedAt, correlationId: 'a"b' }],
  ])('refuses %p with a ContractError', (state) => {
    expect(() => buildRebootStateReport(state as never)).toThrow(ContractError);
  });
});

describe('readRebootState', () => {
  it("tolerates devices that write no state (the tutorial's rebootTime, Microsoft's lastReboot)", () => {
    expect(readRebootState({ rebootTime: done.toISOString() })).toEqual({
      known: false,
      reason: 'no reboot state reported',
    });
    expect(readRebootState({ iothubDM: { reboot: { lastReboot: done.toISOString() } } })).toMatchObject({
      known: false,
    });
  });

  it('keeps the usable fields and drops the rest', () => {
    expect(
      readRebootState({
        iothubDM: { reboot: { status: 'failed', correlationId: 'bad id!', startedAt: 12, reason: 7 } },
        $version: 4,
      }),
    ).toEqual({ known: true, status: 'failed' });
    expect(readRebootState({ iothubDM: { reboot: { status: 'exploded' } } })).toMatchObject({ known: false });
  });

  it('reads a whole twin', () => {
    const twin = { properties: { reported: buildRebootReport(done, { correlationId: 'c-9' }) } };
    expect(readRebootStateFromTwin(twin)).toMatchObject({ status: 'rebooted', correlationId: 'c-9' });
    expect(readRebootStateFromTwin({})).toMatchObject({ known: false });
  });

  it('never throws on arbitrary JSON', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        readRebootState(value);
        readRebootStateFromTwin(value);
        readRebootState({ iothubDM: { reboot: value } });
      }),
    );
  });

  it('reads back every state it builds, through JSON and the hub merge', () => {
    const id = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._:+@-]{0,127}$/);
    const instant = fc.date({
      min: new Date('2000-01-01T00:00:00Z'),
      max: new Date('2100-01-01T00:00:00Z'),
      noInvalidDate: true,
    });
    const state = fc.oneof(
      fc.record({
        status: fc.constant('rebooting' as const),
        correlationId: fc.option(id, { nil: undefined }),
        startedAt: instant,
        scheduledFor: fc.option(instant, { nil: undefined }),
      }),
      fc.record({
        status: fc.constant('failed' as const),
        correlationId: fc.option(id, { nil: undefined }),
        startedAt: instant,
        reason: fc.string({ maxLength: 100 }),
      }),
    );
    fc.assert(
      fc.property(fc.array(state, { maxLength: 4 }), instant, (states, last) => {
        let twin: Record<string, unknown> = {};
        for (const s of states) {
          const patch = JSON.parse(JSON.stringify(buildRebootStateReport(s)));
          twin = merge(twin, patch);
          const read = readRebootState(twin);
          expect(read).toMatchObject({ known: true, status: s.status, startedAt: s.startedAt });
          if (read.known) expect(read.correlationId).toBe(s.correlationId);
        }
        twin = merge(twin, JSON.parse(JSON.stringify(buildRebootReport(last))));
        expect(readRebootState(twin)).toEqual({ known: true, status: 'rebooted', lastReboot: last });
      }),
    );
  });
});

describe('correlation id in the request', () => {
  it('is accepted within the contract and refused outside it', () => {
    expect(parseRebootRequest({ correlationId: 'svc-1:abc' })).toEqual({ correlationId: 'svc-1:abc' });
    expect(() => parseRebootRequest({ correlationId: 'x'.repeat(129) })).toThrow(/correlationId/);
    expect(() => parseRebootRequest({ correlationId: "'; DROP" })).toThrow(/correlationId/);
    expect(() => parseRebootRequest({ correlationId: 5 })).toThrow(/correlationId/);
  });
});
