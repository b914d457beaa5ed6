import fc from 'fast-check';
import { ContractError } from './errors';
import { jsonByteLength, LIMITS } from './limits';
import {
  buildRebootReport,
  RebootReportSchema,
  readLastReboot,
  readLastRebootFromTwin,
} from './reported-properties';

describe('reboot report', () => {
  const when = new Date('2026-11-28T04:05:06.789Z');

  it('carries the same instant in both conventions, as ISO 8601 UTC, with the state rebooted', () => {
    expect(buildRebootReport(when)).toEqual({
      rebootTime: '2026-11-28T04:05:06.789Z',
      iothubDM: {
        reboot: {
          status: 'rebooted',
          lastReboot: '2026-11-28T04:05:06.789Z',
          // null deletes in IoT Hub's merge patch: nothing of an earlier state survives
          correlationId: null,
          startedAt: null,
          scheduledFor: null,
          reason: null,
        },
      },
    });
    expect(RebootReportSchema.parse(buildRebootReport(when))).toBeTruthy();
  });

  it('echoes the correlation id and the start of the reboot', () => {
    const startedAt = new Date('2026-11-28T04:05:00.000Z');
    expect(buildRebootReport(when, { correlationId: 'c-1', startedAt }).iothubDM.reboot).toMatchObject({
      status: 'rebooted',
      correlationId: 'c-1',
      startedAt: '2026-11-28T04:05:00.000Z',
    });
  });

  it('refuses a correlation id outside the contract', () => {
    expect(() => buildRebootReport(when, { correlationId: 'has space' })).toThrow(ContractError);
    expect(() => buildRebootReport(when, { correlationId: 'x'.repeat(129) })).toThrow(ContractError);
  });

  it('refuses an invalid date', () => {
    expect(() => buildRebootReport(new Date('nope'))).toThrow(ContractError);
  });

  it('stays far below the reported-properties limit', () => {
    expect(jsonByteLength(buildRebootReport(when))).toBeLessThan(LIMITS.reportedPropertiesBytes);
  });
});

describe('readLastReboot', () => {
  it('reads a real twin section with $version, $metadata and other properties', () => {
    const reported = {
      firmware: '1.2.3',
      rebootTime: '2026-11-28T04:05:06.789Z',
      iothubDM: { reboot: { lastReboot: '2026-11-28T04:05:06.789Z' } },
      $metadata: {
        $lastUpdated: '2026-11-28T04:05:07Z',
        rebootTime: { $lastUpdated: '2026-11-28T04:05:07Z' },
      },
      $version: 7,
    };
    expect(readLastReboot(reported)).toEqual({
      reported: true,
      rebootTime: new Date('2026-11-28T04:05:06.789Z'),
      source: 'rebootTime',
    });
  });

  it("reads Microsoft's Node/C# convention alone", () => {
    const result = readLastReboot({ iothubDM: { reboot: { lastReboot: '2026-01-01T00:00:00Z' } } });
    expect(result).toMatchObject({ reported: true, source: 'iothubDM.reboot.lastReboot' });
  });

  it('takes the later instant when the conventions disagree', () => {
    const result = readLastReboot({
      rebootTime: '2026-01-01T00:00:00Z',
      iothubDM: { reboot: { lastReboot: '2026-01-02T00:00:00Z' } },
    });
    expect(result).toEqual({
      reported: true,
      rebootTime: new Date('2026-01-02T00:00:00Z'),
      source: 'iothubDM.reboot.lastReboot',
    });
  });

  it('accepts timestamps with an offset (devices that do not write UTC)', () => {
    const result = readLastReboot({ rebootTime: '2026-01-01T01:00:00+01:00' });
    expect(result).toMatchObject({ reported: true, rebootTime: new Date('2026-01-01T00:00:00Z') });
  });

  it.each([
    [{}, 'no reboot reported yet'],
    [{ $version: 1 }, 'no reboot reported yet'],
    [{ rebootTime: 'last tuesday' }, 'not an ISO 8601'],
    [{ rebootTime: 12 }, 'not an ISO 8601'],
    [{ iothubDM: { reboot: { lastReboot: null } } }, 'not an ISO 8601'],
    [null, 'not an object'],
    ['text', 'not an object'],
  ])('reports "not reported" for %j', (reported, reason) => {
    const result = readLastReboot(reported);
    expect(result.reported).toBe(false);
    if (!result.reported) expect(result.reason).toContain(reason);
  });

  it('reads a whole twin as Registry.getTwin returns it', () => {
    const twin = {
      deviceId: 'd1',
      etag: 'AAAA',
      properties: { desired: { $version: 1 }, reported: { rebootTime: '2026-01-01T00:00:00Z', $version: 2 } },
    };
    expect(readLastRebootFromTwin(twin)).toMatchObject({ reported: true });
    expect(readLastRebootFromTwin({ deviceId: 'd1' })).toEqual({
      reported: false,
      reason: 'twin has no reported properties',
    });
  });

  it('never throws on arbitrary JSON', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        readLastReboot(value);
        readLastRebootFromTwin(value);
        readLastRebootFromTwin({ properties: { reported: value } });
      }),
    );
  });

  it('round-trips every report it builds, through JSON', () => {
    const instants = fc.date({
      min: new Date('1970-01-01T00:00:00Z'),
      max: new Date('9999-12-31T23:59:59Z'),
      noInvalidDate: true,
    });
    fc.assert(
      fc.property(
        instants,
        fc.dictionary(
          fc.string({ minLength: 1 }).filter((k) => k !== 'rebootTime' && k !== 'iothubDM'),
          fc.jsonValue(),
        ),
        (when, others) => {
          const reported = JSON.parse(JSON.stringify({ ...others, ...buildRebootReport(when), $version: 3 }));
          const result = readLastReboot(reported);
          expect(result).toMatchObject({ reported: true });
          if (result.reported) expect(result.rebootTime.getTime()).toBe(when.getTime());
        },
      ),
    );
  });
});
