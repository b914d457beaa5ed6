import { z } from 'zod';
import { ContractError, type ParseResult } from './errors';
import { CorrelationIdSchema } from './reboot-state';

const CONTRACT = 'pending reboot record';
const isoUtc = z.iso.datetime();
const requestId = z.string().min(1).max(256);

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
  const result = PendingRebootSchema.safeParse(value);
  return result.success
    ? { success: true, data: result.data }
    : { success: false, error: ContractError.fromZod(CONTRACT, result.error) };
}
