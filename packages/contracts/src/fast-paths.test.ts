import fc from 'fast-check';
import { z } from 'zod';
import { CORRELATION_ID_PATTERN, isCanonicalIsoUtc, plainCopyOf } from './fast-paths';
import { LIMITS } from './limits';
import { PendingRebootSchema, wellFormedPendingReboot } from './pending-reboot';
import {
  RebootRequestSchema,
  safeParseRebootRequest,
  wellFormedRequest,
  wellFormedRequestText,
} from './reboot-request';
import { RebootResponseSchema, wellFormedResponse } from './reboot-response';
import { RebootedSectionSchema, rebootedSection } from './reboot-state';
import { buildRebootReport } from './reported-properties';

// Every fast path may only ever say "valid" where its zod schema says so too, with the same data.
const RUNS = { numRuns: 3000 };

/** ISO-like strings: real instants (years 0000–9999 and beyond), near misses, and junk. */
const isoish = fc.oneof(
  fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
  fc
    .date({
      min: new Date('0000-01-01T00:00:00.000Z'),
      max: new Date('9999-12-31T23:59:59.999Z'),
      noInvalidDate: true,
    })
    .map((d) => d.toISOString()),
  fc
    .tuple(
      fc.integer({ min: 0, max: 9999 }),
      fc.integer({ min: 0, max: 13 }),
      fc.integer({ min: 0, max: 32 }),
      fc.integer({ min: 0, max: 25 }),
      fc.integer({ min: 0, max: 61 }),
      fc.integer({ min: 0, max: 61 }),
      fc.integer({ min: 0, max: 1000 }),
      fc.constantFrom('Z', 'z', '+00:00', ''),
    )
    .map(([y, mo, d, h, mi, s, ms, zone]) => {
      const p = (n: number, w = 2) => String(n).padStart(w, '0');
      return `${p(y, 4)}-${p(mo)}-${p(d)}T${p(h)}:${p(mi)}:${p(s)}.${p(ms, 3)}${zone}`;
    }),
  fc.string({ maxLength: 30 }),
);

const correlationIdish = fc.oneof(
  fc.stringMatching(CORRELATION_ID_PATTERN).filter((s) => s.length <= 140),
  fc.string({ maxLength: 20 }),
  fc.constant('x'.repeat(LIMITS.correlationIdLength)),
  fc.constant('x'.repeat(LIMITS.correlationIdLength + 1)),
);

const junk = fc.oneof(
  fc.constant(undefined),
  fc.constant(null),
  fc.integer(),
  fc.string({ maxLength: 5 }),
  fc.object(),
);

/**
 * A valid value, then at most one field set to an edge or wrong value, deleted, or one key added: the
 * inputs where a too-lenient fast path would disagree with its schema.
 */
function nearlyValid(
  valid: fc.Arbitrary<Record<string, unknown>>,
  edges: Record<string, readonly unknown[]>,
): fc.Arbitrary<Record<string, unknown>> {
  const keys = Object.keys(edges);
  const change = fc.oneof(
    fc
      .constantFrom(...keys)
      .chain((key) =>
        fc.constantFrom(...(edges[key] as unknown[])).map((value) => ({ kind: 'set' as const, key, value })),
      ),
    fc.constantFrom(...keys).map((key) => ({ kind: 'delete' as const, key })),
    fc.constant({ kind: 'add' as const }),
  );
  return fc.tuple(valid, fc.option(change, { nil: undefined })).map(([base, edit]) => {
    const value: Record<string, unknown> = { ...base };
    if (edit?.kind === 'set') value[edit.key] = edit.value;
    else if (edit?.kind === 'delete') delete value[edit.key];
    else if (edit?.kind === 'add') value.unexpected = 1;
    return value;
  });
}

const isoNow = fc
  .date({
    min: new Date('2000-01-01T00:00:00.000Z'),
    max: new Date('2100-01-01T00:00:00.000Z'),
    noInvalidDate: true,
  })
  .map((d) => d.toISOString());
const ISO_EDGES = [
  '2026-02-30T00:00:00.000Z',
  '2026-12-02T07:00:00Z',
  '+010000-01-01T00:00:00.000Z',
  '',
  0,
  null,
  undefined,
];
const ID_EDGES = [
  '',
  'x'.repeat(LIMITS.correlationIdLength + 1),
  '-starts-with-dash',
  'has space',
  7,
  null,
  undefined,
];

describe('isCanonicalIsoUtc', () => {
  it('accepts only what z.iso.datetime() accepts', () => {
    const schema = z.iso.datetime();
    fc.assert(
      fc.property(isoish, (value) => {
        if (isCanonicalIsoUtc(value)) expect(schema.safeParse(value).success).toBe(true);
      }),
      RUNS,
    );
  });

  it('accepts every Date#toISOString of the years 0000-9999 (the form devices write)', () => {
    fc.assert(
      fc.property(
        fc.date({
          min: new Date('0000-01-01T00:00:00.000Z'),
          max: new Date('9999-12-31T23:59:59.999Z'),
          noInvalidDate: true,
        }),
        (date) => {
          expect(isCanonicalIsoUtc(date.toISOString())).toBe(true);
        },
      ),
      RUNS,
    );
  });

  it.each([
    '2026-02-30T00:00:00.000Z',
    '1900-02-29T00:00:00.000Z',
    '2100-02-29T00:00:00.000Z',
    '2026-12-02T24:00:00.000Z',
    '2026-12-02T23:60:00.000Z',
    '2026-12-02T23:59:60.000Z',
    '20a6-12-02T07:00:00.000Z',
    '2026-12-02T07:00:00.00aZ',
    '+010000-01-01T00:00:00.000Z',
    '2026-12-02T07:00:00Z',
  ])('leaves %s to the schema', (value) => {
    expect(isCanonicalIsoUtc(value)).toBe(false);
  });

  it.each(['2000-02-29T00:00:00.000Z', '2024-02-29T23:59:59.999Z', '0000-01-01T00:00:00.000Z'])(
    'takes %s',
    (value) => {
      expect(isCanonicalIsoUtc(value)).toBe(true);
    },
  );
});

describe('plainCopyOf', () => {
  const allowed = new Set(['a', 'b']);
  it.each([
    ['an array', ['a']],
    ['a class instance', Object.assign(new (class {})(), { a: 1 })],
    ['a present-but-undefined field', { a: undefined }],
    ['an unknown key', { a: 1, c: 2 }],
    ['a non-enumerable field', Object.defineProperty({}, 'a', { value: 1, enumerable: false })],
    ['a symbol key', { a: 1, [Symbol('s')]: 2 }],
    ['a missing required key', { b: 1 }],
  ])('leaves %s to the schema', (_what, value) => {
    expect(plainCopyOf(value, allowed, ['a'])).toBeUndefined();
  });

  it('reads an accessor once, into the copy it returns', () => {
    let reads = 0;
    const value = Object.defineProperty({}, 'a', {
      get: () => {
        reads++;
        return reads === 1 ? 'checked' : 'swapped';
      },
      enumerable: true,
    });
    const copy = plainCopyOf(value, allowed, ['a']);
    expect(copy).toEqual({ a: 'checked' });
    expect(Object.getOwnPropertyDescriptor(copy, 'a')).toHaveProperty('value', 'checked');
    expect(reads).toBe(1);
  });

  it('takes plain objects of the allowed keys, with or without a prototype', () => {
    expect(plainCopyOf({ a: 1, b: 'x' }, allowed, ['a'])).toEqual({ a: 1, b: 'x' });
    expect(plainCopyOf(Object.assign(Object.create(null), { a: 1 }), allowed, ['a'])).toEqual({ a: 1 });
  });
});

describe('pending reboot record fast path', () => {
  const record = fc.oneof(
    fc.record(
      {
        version: fc.constantFrom<unknown>(1, 2, '1'),
        phase: fc.constantFrom<unknown>('rebooting', 'rebooted', 'other'),
        requestId: fc.oneof(fc.string({ maxLength: 5 }), fc.string({ minLength: 250, maxLength: 260 })),
        acceptedAt: isoish,
        correlationId: correlationIdish,
        scheduledFor: isoish,
        rebootTime: isoish,
        extra: junk,
      },
      { requiredKeys: ['version', 'phase', 'requestId', 'acceptedAt'] },
    ),
    nearlyValid(
      fc
        .record(
          {
            version: fc.constant(1),
            phase: fc.constantFrom('rebooting', 'rebooted'),
            requestId: fc.string({ minLength: 1, maxLength: 256 }),
            acceptedAt: isoNow,
            correlationId: fc.stringMatching(CORRELATION_ID_PATTERN).filter((c) => c.length <= 128),
            scheduledFor: isoNow,
            rebootTime: isoNow,
          },
          { requiredKeys: ['version', 'phase', 'requestId', 'acceptedAt'] },
        )
        .map((r) => {
          if (r.phase !== 'rebooting') return r;
          const { rebootTime: _dropped, ...rest } = r;
          return rest;
        }),
      {
        version: [2, '1', 0],
        phase: ['rebooted', 'rebooting', 'done'],
        requestId: ['', 'x'.repeat(256), 'x'.repeat(257), 1],
        acceptedAt: ISO_EDGES,
        correlationId: ID_EDGES,
        scheduledFor: ISO_EDGES,
        rebootTime: [...ISO_EDGES, new Date().toISOString()],
      },
    ),
  );

  it('takes a record only where PendingRebootSchema does, with the same data', () => {
    fc.assert(
      fc.property(fc.oneof(record, junk), (value) => {
        const fast = wellFormedPendingReboot(value);
        if (fast === undefined) return;
        const parsed = PendingRebootSchema.safeParse(value);
        expect(parsed.success).toBe(true);
        expect(parsed.data).toEqual(fast);
      }),
      RUNS,
    );
  });

  it('takes the records the handler writes', () => {
    const base = { version: 1, requestId: 'r1', acceptedAt: new Date().toISOString() } as const;
    expect(wellFormedPendingReboot({ ...base, phase: 'rebooting', correlationId: 'c-1' })).toBeDefined();
    expect(
      wellFormedPendingReboot({ ...base, phase: 'rebooted', rebootTime: new Date().toISOString() }),
    ).toBeDefined();
  });
});

describe('reboot request fast path', () => {
  const request = fc.oneof(
    fc.record(
      {
        delaySeconds: fc.oneof(
          fc.integer({ min: -2, max: LIMITS.maxDelaySeconds + 2 }),
          fc.double(),
          fc.string({ maxLength: 3 }),
        ),
        reason: fc.oneof(
          fc.string({ maxLength: 10 }),
          fc.string({ minLength: 250, maxLength: 260 }),
          fc.integer(),
        ),
        method_number: fc.oneof(fc.string({ maxLength: 10 }), fc.double(), fc.boolean()),
        correlationId: correlationIdish,
        other: junk,
      },
      { requiredKeys: [] },
    ),
    nearlyValid(
      fc.record(
        {
          delaySeconds: fc.integer({ min: 0, max: LIMITS.maxDelaySeconds }),
          reason: fc.string({ maxLength: LIMITS.reasonLength }),
          method_number: fc.oneof(fc.string({ maxLength: 20 }), fc.integer()),
          correlationId: fc.stringMatching(CORRELATION_ID_PATTERN).filter((c) => c.length <= 128),
        },
        { requiredKeys: [] },
      ),
      {
        delaySeconds: [
          -0,
          -1,
          LIMITS.maxDelaySeconds,
          LIMITS.maxDelaySeconds + 1,
          1.5,
          Number.NaN,
          Number.POSITIVE_INFINITY,
          '5',
          null,
          undefined,
        ],
        reason: ['r'.repeat(LIMITS.reasonLength + 1), 5, null, undefined],
        method_number: [Number.NaN, Number.POSITIVE_INFINITY, 'n'.repeat(2000), true, null, undefined],
        correlationId: ID_EDGES,
      },
    ),
  );

  it('takes a payload only where RebootRequestSchema does, with the same data', () => {
    fc.assert(
      fc.property(fc.oneof(request, junk), (value) => {
        const fast = wellFormedRequest(value);
        if (fast === undefined) return;
        const parsed = RebootRequestSchema.safeParse(value);
        expect(parsed.success).toBe(true);
        expect(parsed.data).toEqual(fast);
      }),
      RUNS,
    );
  });

  // The SDK hands the handler the payload as JSON text; the text path decodes it as the schema path does.
  const padding = fc.constantFrom('', ' ', '\n\t ', '\r\n');
  const text = fc.oneof(
    fc
      .tuple(padding, fc.oneof(request, junk), padding)
      .map(([a, v, b]) => `${a}${JSON.stringify(v) ?? ''}${b}`),
    fc.string({ maxLength: 20 }),
  );

  it('takes a JSON text only where RebootRequestSchema takes its value, with the same data', () => {
    fc.assert(
      fc.property(text, (value) => {
        const fast = wellFormedRequestText(value);
        if (fast === undefined) return;
        const trimmed = value.trim();
        const decoded = trimmed === '' || trimmed === 'null' ? {} : JSON.parse(trimmed);
        const parsed = RebootRequestSchema.safeParse(decoded);
        expect(parsed.success).toBe(true);
        expect(parsed.data).toEqual(fast);
      }),
      RUNS,
    );
  });

  it('takes the texts the SDK delivers, and leaves long or broken ones to the schema', () => {
    expect(wellFormedRequestText('{"delaySeconds":0}')).toEqual({ delaySeconds: 0 });
    expect(wellFormedRequestText(' {"reason":"update","correlationId":"job-1"}\n')).toEqual({
      reason: 'update',
      correlationId: 'job-1',
    });
    expect(wellFormedRequestText('')).toEqual({});
    expect(wellFormedRequestText('null')).toEqual({});
    expect(wellFormedRequestText('{"delaySeconds":')).toBeUndefined();
    expect(wellFormedRequestText('{"__proto__":{"delaySeconds":1}}')).toBeUndefined();
    // Whitespace only pads it: the value is valid, but a text this long is measured by the schema path.
    const long = `{"delaySeconds":0}${' '.repeat(LIMITS.methodPayloadBytes)}`;
    expect(wellFormedRequestText(long)).toBeUndefined();
    expect(safeParseRebootRequest(long).success).toBe(false);
  });

  it('takes the payloads services send', () => {
    expect(wellFormedRequest({ delaySeconds: 0 })).toBeDefined();
    expect(wellFormedRequest({ delaySeconds: 5, reason: 'update', correlationId: 'job-1' })).toBeDefined();
    expect(wellFormedRequest({ method_number: '42' })).toBeDefined();
  });
});

describe('reboot response fast path', () => {
  const response = fc.oneof(
    fc.record(
      {
        result: fc.constantFrom<unknown>(
          'rebooted',
          'accepted',
          'bad-request',
          'busy',
          'reboot-failed',
          'report-failed',
          'constructor',
          'other',
        ),
        rebootTime: isoish,
        message: fc.oneof(fc.string({ maxLength: 10 }), fc.constant('m'.repeat(4097)), fc.integer()),
        error: fc.oneof(fc.string({ maxLength: 10 }), fc.constant('e'.repeat(4097)), fc.integer()),
        other: junk,
      },
      { requiredKeys: ['result'] },
    ),
    nearlyValid(
      fc.oneof(
        fc.record({
          result: fc.constant('rebooted'),
          rebootTime: isoNow,
          message: fc.string({ maxLength: 50 }),
        }),
        fc.record({ result: fc.constant('accepted'), message: fc.string({ maxLength: 50 }) }),
        fc.record({
          result: fc.constantFrom('bad-request', 'busy', 'reboot-failed'),
          error: fc.string({ maxLength: 50 }),
        }),
        fc.record({
          result: fc.constant('report-failed'),
          rebootTime: isoNow,
          error: fc.string({ maxLength: 50 }),
        }),
      ),
      {
        result: ['rebooted', 'accepted', 'busy', 'report-failed', 'toString', 'other'],
        rebootTime: ISO_EDGES,
        message: ['m'.repeat(4096), 'm'.repeat(4097), 1, null, undefined],
        error: ['e'.repeat(4096), 'e'.repeat(4097), 1, null, undefined],
      },
    ),
  );

  it('takes a response only where RebootResponseSchema does, with the same data', () => {
    fc.assert(
      fc.property(fc.oneof(response, junk), (value) => {
        const fast = wellFormedResponse(value);
        if (fast === undefined) return;
        const parsed = RebootResponseSchema.safeParse(value);
        expect(parsed.success).toBe(true);
        expect(parsed.data).toEqual(fast);
      }),
      RUNS,
    );
  });

  it('takes the answers the handler sends', () => {
    const rebootTime = new Date().toISOString();
    expect(wellFormedResponse({ result: 'rebooted', rebootTime, message: 'Rebooted' })).toBeDefined();
    expect(wellFormedResponse({ result: 'busy', error: 'A reboot is already in progress' })).toBeDefined();
  });
});

describe('rebooted section fast path', () => {
  it('builds a section exactly when RebootedSectionSchema accepts it, and the same section', () => {
    fc.assert(
      fc.property(
        isoish,
        fc.option(correlationIdish, { nil: undefined }),
        fc.option(fc.date({ noInvalidDate: true }), { nil: undefined }),
        (lastReboot, correlationId, startedAt) => {
          const expected = RebootedSectionSchema.safeParse({
            status: 'rebooted',
            lastReboot,
            correlationId: correlationId ?? null,
            startedAt: startedAt?.toISOString() ?? null,
            scheduledFor: null,
            reason: null,
          });
          const build = () => rebootedSection(lastReboot, { correlationId, startedAt });
          if (expected.success) expect(build()).toEqual(expected.data);
          else expect(build).toThrow('Invalid reboot state report');
        },
      ),
      RUNS,
    );
  });

  it('keeps the largest possible report far inside the reported-properties limit', () => {
    const report = buildRebootReport(new Date('9999-12-31T23:59:59.999Z'), {
      correlationId: 'x'.repeat(LIMITS.correlationIdLength),
      startedAt: new Date('9999-12-31T23:59:59.999Z'),
    });
    expect(Buffer.byteLength(JSON.stringify(report))).toBeLessThan(LIMITS.reportedPropertiesBytes / 32);
  });
});
