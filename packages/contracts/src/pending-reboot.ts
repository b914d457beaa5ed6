import { z } from 'zod';
import { ContractError, type ParseResult } from './errors';
import { isCanonicalIsoUtc, isCorrelationId, plainCopyOf } from './fast-paths';
import { LIMITS } from './limits';
import { CorrelationIdSchema } from './reboot-state';

const CONTRACT = 'pending reboot record';
const isoUtc = z.iso.datetime();
const REQUEST_ID_LENGTH = 256;
const requestId = z.string().min(1).max(REQUEST_ID_LENGTH);

/**
 * The record a device persists around a reboot so that its report survives a restart.
 * `rebooting`: written before the reboot action runs (a restart may end the process here).
 * `rebooted`: the action completed at `rebootTime`; only the twin report is still owed.
 * `correlationId` (optional, so records written before it existed still parse) is the request's, echoed in
 * the twin report; `scheduledFor` is when a delayed reboot is planned.
 */
export const PendingRebootSchema = z.discriminatedUnion('phase', [
  z.strictObject({
    version: z.literal(1),
    phase: z.literal('rebooting'),
    requestId,
    acceptedAt: isoUtc,
    correlationId: CorrelationIdSchema.optional(),
    scheduledFor: isoUtc.optional(),
  }),
  z.strictObject({
    version: z.literal(1),
    phase: z.literal('rebooted'),
    requestId,
    acceptedAt: isoUtc,
    correlationId: CorrelationIdSchema.optional(),
    scheduledFor: isoUtc.optional(),
    rebootTime: isoUtc,
  }),
]);

/** A persisted pending-reboot record. */
export type PendingReboot = z.infer<typeof PendingRebootSchema>;

/** Parses a pending-reboot record (e.g. read back from disk); never throws. */
export function safeParsePendingReboot(value: unknown): ParseResult<PendingReboot> {
  const wellFormed = wellFormedPendingReboot(value);
  if (wellFormed !== undefined) return { success: true, data: wellFormed };
  const result = PendingRebootSchema.safeParse(value);
  return result.success
    ? { success: true, data: result.data }
    : { success: false, error: ContractError.fromZod(CONTRACT, result.error) };
}

const RECORD_KEYS = new Set([
  'version',
  'phase',
  'requestId',
  'acceptedAt',
  'correlationId',
  'scheduledFor',
  'rebootTime',
]);
const REQUIRED_KEYS = ['version', 'phase', 'requestId', 'acceptedAt'];

/**
 * A copy of `value` when it is a record of exactly the form the handler writes (see fast-paths.ts);
 * `undefined` leaves it to the schema.
 * @internal Exported for its property test; not part of the package API.
 */
export function wellFormedPendingReboot(value: unknown): PendingReboot | undefined {
  const record = plainCopyOf(value, RECORD_KEYS, REQUIRED_KEYS);
  if (record === undefined || record.version !== 1) return undefined;
  const { phase, requestId: id, acceptedAt, correlationId, scheduledFor } = record;
  const phaseFits =
    phase === 'rebooting'
      ? !Object.hasOwn(record, 'rebootTime')
      : phase === 'rebooted' && isCanonicalIsoUtc(record.rebootTime);
  const fits =
    phaseFits &&
    typeof id === 'string' &&
    id.length >= 1 &&
    id.length <= REQUEST_ID_LENGTH &&
    isCanonicalIsoUtc(acceptedAt) &&
    (correlationId === undefined || isCorrelationId(correlationId, LIMITS.correlationIdLength)) &&
    (scheduledFor === undefined || isCanonicalIsoUtc(scheduledFor));
  return fits ? (record as PendingReboot) : undefined;
}
