import fc from 'fast-check';
import { z } from 'zod';
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

// The readers once parsed the twin with zod object schemas; they now look the fields up directly. This
// keeps them answering exactly as the schema-based reader did, on any shape (arrays, null, strings…).
describe('readLastRebootFromTwin, against the schema-based reader it replaced', () => {
  const iso = z.iso.datetime({ offset: true });
  const toDate = (v: unknown) =>
    typeof v === 'string' && iso.safeParse(v).success ? new Date(v) : undefined;
  const schemaReader = (twin: unknown): unknown => {
    const shape = z.looseObject({ properties: z.looseObject({ reported: z.unknown() }) }).safeParse(twin);
    if (!shape.success) return { reported: false, reason: 'twin has no reported properties' };
    const section = z
      .looseObject({ rebootTime: z.unknown().optional(), iothubDM: z.unknown().optional() })
      .safeParse(shape.data.properties.reported);
    if (!section.success) return { reported: false, reason: 'reported properties are not an object' };
    const dm = z
      .looseObject({ reboot: z.looseObject({ lastReboot: z.unknown().optional() }) })
      .safeParse(section.data.iothubDM);
    const candidates = [
      ...(toDate(section.data.rebootTime)
        ? [{ reported: true, rebootTime: toDate(section.data.rebootTime) as Date, source: 'rebootTime' }]
        : []),
      ...(dm.success && toDate(dm.data.reboot.lastReboot)
        ? [
            {
              reported: true,
              rebootTime: toDate(dm.data.reboot.lastReboot) as Date,
              source: 'iothubDM.reboot.lastReboot',
            },
          ]
        : []),
    ];
    if (candidates.length === 0) {
      const present = section.data.rebootTime !== undefined || dm.success;
      return {
        reported: false,
        reason: present ? 'reboot time is not an ISO 8601 date-time' : 'no reboot reported yet',
      };
    }
    return candidates.reduce((a, b) => (b.rebootTime.getTime() > a.rebootTime.getTime() ? b : a));
  };
  const time = fc.oneof(
    fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
    fc.constantFrom('2026-01-01T01:00:00+01:00', 'yesterday', ''),
    fc.anything(),
  );
  const maybe = <T>(a: fc.Arbitrary<T>) => fc.oneof(a, fc.anything(), fc.constant(undefined));
  const twin = maybe(
    fc.record({
      properties: maybe(
        fc.record({
          reported: maybe(
            fc.record(
              {
                rebootTime: time,
                iothubDM: maybe(fc.record({ reboot: maybe(fc.record({ lastReboot: time })) })),
              },
              { requiredKeys: [] },
            ),
          ),
        }),
      ),
    }),
  );

  it('gives the same answer on any twin', () => {
    fc.assert(
      fc.property(twin, (t) => {
        expect(readLastRebootFromTwin(t)).toEqual(schemaReader(t));
      }),
      { numRuns: 500 },
    );
  });

  it.each([
    ['an array for reported', { properties: { reported: [] } }],
    ['null properties', { properties: null }],
    ['an array for iothubDM.reboot', { properties: { reported: { iothubDM: { reboot: [] } } } }],
    ['a string twin', 'twin'],
    ['properties without reported', { properties: {} }],
  ])('gives the same answer on %s', (_label, t) => {
    expect(readLastRebootFromTwin(t)).toEqual(schemaReader(t));
  });
});
