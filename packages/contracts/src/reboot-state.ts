import { z } from 'zod';
import { ContractError } from './errors';
import { CORRELATION_ID_PATTERN, isCanonicalIsoUtc, isCorrelationId } from './fast-paths';
import { jsonByteLength, LIMITS } from './limits';
import { redactSecrets } from './secrets';

/**
 * The reboot state a device reports under `iothubDM.reboot`, as IoT Hub's device-management guide
 * describes the pattern ("the device uses reported properties to update its reboot state").
 * `rebooting`: accepted, the restart is under way (or scheduled for `scheduledFor`).
 * `rebooted`: done at `lastReboot` (also written as the top-level `rebootTime`).
 * `failed`: the reboot action failed; `reason` says why.
 */
export const REBOOT_STATUSES = ['rebooting', 'rebooted', 'failed'] as const;

/** One of {@link REBOOT_STATUSES}. */
export type RebootStatus = (typeof REBOOT_STATUSES)[number];

/**
 * A correlation id the service puts in the request and the device echoes in its state report.
 * A restricted alphabet keeps it short, printable and safe to use in a twin query string literal.
 */
export const CorrelationIdSchema = z
  .string()
  .regex(CORRELATION_ID_PATTERN, 'must be letters, digits and . _ : + @ - (not first)')
  .max(LIMITS.correlationIdLength);

const isoUtc = z.iso.datetime();
const nullable = <T extends z.ZodType>(schema: T) => schema.nullable();

/** The `iothubDM.reboot` section of a `rebooted` report. */
export const RebootedSectionSchema = z.strictObject({
  status: z.literal('rebooted'),
  lastReboot: isoUtc,
  correlationId: nullable(CorrelationIdSchema),
  startedAt: nullable(isoUtc),
  scheduledFor: z.null(),
  reason: z.null(),
});

/**
 * The `iothubDM.reboot` section of a state patch. Fields that do not apply are sent as `null`, which
 * IoT Hub's merge patch deletes: a `rebooted` report must not keep the reason of an earlier failure.
 * `lastReboot` is only in `rebooted` patches, so the last reboot time survives a later `rebooting`.
 */
export const RebootStateSectionSchema = z.discriminatedUnion('status', [
  z.strictObject({
    status: z.literal('rebooting'),
    correlationId: nullable(CorrelationIdSchema),
    startedAt: isoUtc,
    scheduledFor: nullable(isoUtc),
    reason: z.null(),
  }),
  /** The section of a `rebooted` report (see `buildRebootReport`). */
  RebootedSectionSchema,
  z.strictObject({
    status: z.literal('failed'),
    correlationId: nullable(CorrelationIdSchema),
    startedAt: isoUtc,
    scheduledFor: z.null(),
    reason: z.string().max(LIMITS.failureReasonLength),
  }),
]);

/** A reported-properties patch carrying only the reboot state (`rebooting` or `failed`). */
export type RebootStatePatch = {
  iothubDM: { reboot: z.infer<typeof RebootStateSectionSchema> };
};

/** What a device reports about a reboot; {@link buildRebootStateReport} turns it into a patch. */
export type RebootStateInput =
  | {
      status: 'rebooting';
      correlationId?: string | undefined;
      startedAt: Date;
      scheduledFor?: Date | undefined;
    }
  | { status: 'failed'; correlationId?: string | undefined; startedAt: Date; reason: string };

/**
 * Builds the patch for a `rebooting` or `failed` state (a `rebooted` one is `buildRebootReport`, which
 * also writes `rebootTime`). A failure reason is masked for secrets and cut to
 * {@link LIMITS.failureReasonLength}. Throws {@link ContractError} on invalid dates or correlation id.
 */
export function buildRebootStateReport(state: RebootStateInput): RebootStatePatch {
  const base = {
    correlationId: state.correlationId ?? null,
    startedAt: isoOf(state.startedAt, 'startedAt'),
  };
  const section =
    state.status === 'rebooting'
      ? {
          status: 'rebooting' as const,
          ...base,
          scheduledFor: state.scheduledFor === undefined ? null : isoOf(state.scheduledFor, 'scheduledFor'),
          reason: null,
        }
      : { status: 'failed' as const, ...base, scheduledFor: null, reason: shortReason(state.reason) };
  return { iothubDM: { reboot: checkSection(RebootStateSectionSchema, section) } };
}

/** @internal The `rebooted` section, for `buildRebootReport`. */
export function rebootedSection(
  lastReboot: string,
  extras: { correlationId?: string | undefined; startedAt?: Date | undefined },
): z.infer<typeof RebootedSectionSchema> {
  const section = {
    status: 'rebooted' as const,
    lastReboot,
    correlationId: extras.correlationId ?? null,
    startedAt: extras.startedAt === undefined ? null : isoOf(extras.startedAt, 'startedAt'),
    scheduledFor: null,
    reason: null,
  };
  // Of the form a device builds (fast-paths.ts): every field is bounded, so the patch is far inside the
  // reported-properties limit and the schema's answer is known; anything else is checked by the schema.
  const { correlationId, startedAt } = section;
  if (
    isCanonicalIsoUtc(lastReboot) &&
    (startedAt === null || isCanonicalIsoUtc(startedAt)) &&
    (correlationId === null || isCorrelationId(correlationId, LIMITS.correlationIdLength))
  ) {
    return section;
  }
  return checkSection(RebootedSectionSchema, section);
}

/** The reboot state as read back from a twin (tolerant: a device may write any of it, or none). */
export type RebootStateRead =
  | {
      known: true;
      status: RebootStatus;
      correlationId?: string;
      startedAt?: Date;
      scheduledFor?: Date;
      lastReboot?: Date;
      /** For `failed`: the device's reason, masked for secrets and cut short. */
      reason?: string;
    }
  | { known: false; reason: string };

/**
 * Reads `iothubDM.reboot` from a twin's reported properties. Never throws: devices that write no state
 * (the tutorial's Python device writes only `rebootTime`; Microsoft's Node sample only `lastReboot`)
 * yield `{ known: false }`; unusable fields are left out rather than failing the whole state.
 */
export function readRebootState(reported: unknown): RebootStateRead {
  const section = objectAt(objectAt(objectAt(reported, undefined), 'iothubDM'), 'reboot');
  if (section === undefined) return { known: false, reason: 'no reboot state reported' };
  const status = section.status;
  if (typeof status !== 'string' || !(REBOOT_STATUSES as readonly string[]).includes(status)) {
    return { known: false, reason: 'iothubDM.reboot.status is not rebooting, rebooted or failed' };
  }
  const read: Extract<RebootStateRead, { known: true }> = { known: true, status: status as RebootStatus };
  const correlationId = CorrelationIdSchema.safeParse(section.correlationId);
  if (correlationId.success) read.correlationId = correlationId.data;
  for (const key of ['startedAt', 'scheduledFor', 'lastReboot'] as const) {
    const date = dateOf(section[key]);
    if (date) read[key] = date;
  }
  if (status === 'failed' && typeof section.reason === 'string') read.reason = shortReason(section.reason);
  return read;
}

/** Like {@link readRebootState}, for a whole twin as `Registry.getTwin` or a twin query returns it. */
export function readRebootStateFromTwin(twin: unknown): RebootStateRead {
  const properties = objectAt(objectAt(twin, undefined), 'properties');
  const reported = properties?.reported;
  if (reported === undefined) return { known: false, reason: 'twin has no reported properties' };
  return readRebootState(reported);
}

const isoAnyOffset = z.iso.datetime({ offset: true });

function dateOf(value: unknown): Date | undefined {
  if (typeof value !== 'string' || !isoAnyOffset.safeParse(value).success) return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

function objectAt(value: unknown, key: string | undefined): Record<string, unknown> | undefined {
  const node = key === undefined ? value : (value as Record<string, unknown> | undefined)?.[key];
  return typeof node === 'object' && node !== null && !Array.isArray(node)
    ? (node as Record<string, unknown>)
    : undefined;
}

function isoOf(date: Date, field: string): string {
  if (!(date instanceof Date) || Number.isNaN(date.getTime())) {
    throw new ContractError('reboot state report', `${field} is not a valid date`);
  }
  return date.toISOString();
}

/** Secrets masked first (the cut could otherwise split a key and leave part of it readable). */
function shortReason(reason: string): string {
  const masked = redactSecrets(String(reason)).replace(/\s+/g, ' ').trim();
  const max = LIMITS.failureReasonLength;
  return masked.length > max ? `${masked.slice(0, max - 1)}…` : masked;
}

function checkSection<S extends z.ZodType>(schema: S, section: unknown): z.infer<S> {
  const parsed = schema.safeParse(section);
  if (!parsed.success) throw ContractError.fromZod('reboot state report', parsed.error);
  if ((jsonByteLength(parsed.data) ?? 0) > LIMITS.reportedPropertiesBytes) {
    throw new ContractError('reboot state report', 'patch exceeds the reported-properties limit');
  }
  return parsed.data;
}
