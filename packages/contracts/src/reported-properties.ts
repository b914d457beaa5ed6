import { z } from 'zod';
import { ContractError } from './errors';
import { RebootedSectionSchema, rebootedSection } from './reboot-state';

const isoUtc = z.iso.datetime();

/**
 * The reported-properties patch a device writes after a reboot. Both conventions carry the same
 * instant: `rebootTime` (the seed tutorial's service reads it) and `iothubDM.reboot.lastReboot`
 * (Microsoft's Node and C# samples), next to the reboot state `status: 'rebooted'` with the request's
 * correlation id (see `RebootStateSectionSchema`).
 */
export const RebootReportSchema = z.strictObject({
  rebootTime: isoUtc,
  iothubDM: z.strictObject({ reboot: RebootedSectionSchema }),
});

/** The reported-properties patch for a reboot. */
export type RebootReport = z.infer<typeof RebootReportSchema>;

/** What a `rebooted` report carries besides the reboot time. */
export interface RebootReportExtras {
  /** The request's correlation id, echoed so the service can confirm exactly this reboot. */
  correlationId?: string | undefined;
  /** When the reboot started (the request was accepted). */
  startedAt?: Date | undefined;
}

/**
 * Builds the reported-properties patch for a reboot that completed at `rebootTime`: state `rebooted`,
 * and fields of an earlier state that no longer apply (`reason`, `scheduledFor`) set to `null`, which
 * IoT Hub deletes. Throws {@link ContractError} on an invalid date or correlation id.
 */
export function buildRebootReport(rebootTime: Date, extras: RebootReportExtras = {}): RebootReport {
  if (!(rebootTime instanceof Date) || Number.isNaN(rebootTime.getTime())) {
    throw new ContractError('reboot report', 'rebootTime is not a valid date');
  }
  const iso = rebootTime.toISOString();
  // Within IoT Hub's reported-properties limit by construction: the section's every field is bounded (a
  // test measures the largest possible report).
  return { rebootTime: iso, iothubDM: { reboot: rebootedSection(iso, extras) } };
}

/** The last reboot as read from a twin. */
export type LastReboot =
  | { reported: true; rebootTime: Date; source: 'rebootTime' | 'iothubDM.reboot.lastReboot' }
  | { reported: false; reason: string };

// Readers tolerate everything else a real twin carries ($version, $metadata, other properties) and
// timestamps with an offset, since other devices (e.g. the seed's Python sample) may not write UTC.
// They look the two fields up rather than parse the reported section with a schema: a confirmation
// poll reads every twin of a query page, and an object schema copied each twin's whole section first.
const isoAnyOffset = z.iso.datetime({ offset: true });

/**
 * Reads the last reboot time from a twin's reported properties. When both conventions are present and
 * differ, the later instant wins. Never throws: anything unusable yields `{ reported: false, reason }`.
 */
export function readLastReboot(reported: unknown): LastReboot {
  const section = plainObject(reported);
  if (section === undefined) return { reported: false, reason: 'reported properties are not an object' };
  const candidates: Array<Extract<LastReboot, { reported: true }>> = [];
  const top = toDate(section.rebootTime);
  if (top) candidates.push({ reported: true, rebootTime: top, source: 'rebootTime' });
  const reboot = plainObject(plainObject(section.iothubDM)?.reboot);
  const nested = reboot === undefined ? undefined : toDate(reboot.lastReboot);
  if (nested) candidates.push({ reported: true, rebootTime: nested, source: 'iothubDM.reboot.lastReboot' });
  if (candidates.length === 0) {
    const present = section.rebootTime !== undefined || reboot !== undefined;
    return {
      reported: false,
      reason: present ? 'reboot time is not an ISO 8601 date-time' : 'no reboot reported yet',
    };
  }
  return candidates.reduce((a, b) => (b.rebootTime.getTime() > a.rebootTime.getTime() ? b : a));
}

/** Like {@link readLastReboot}, for a whole twin as `Registry.getTwin` or a twin query returns it. */
export function readLastRebootFromTwin(twin: unknown): LastReboot {
  const properties = plainObject(plainObject(twin)?.properties);
  // A `reported` key holding undefined counts as present, as the schema (`reported: z.unknown()`) had it.
  if (properties === undefined || !('reported' in properties)) {
    return { reported: false, reason: 'twin has no reported properties' };
  }
  return readLastReboot(properties.reported);
}

/** `value` when it is what a JSON object parses to (not null, not an array), as the schemas accepted. */
function plainObject(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

function toDate(value: unknown): Date | undefined {
  if (typeof value !== 'string' || !isoAnyOffset.safeParse(value).success) return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date;
}
