import { type LastReboot, readLastRebootFromTwin } from '@iothub-reboot/contracts';
import type { PollCheck } from './poll';
import { type RebootCriteria, type RebootObserved, rebootThreshold } from './reboot';

/** A reboot the twin reported, with when the hub wrote that report (the hub's clock). */
export type RebootWritten = RebootObserved & { writtenAt: Date };

/**
 * The predicate "reboot reported after T" on the hub's clock instead of the device's: satisfied when
 * the twin's `$metadata` says the reported reboot property was last written after `requestedAt −
 * clockSkewMs` (here the margin covers the service's clock against the hub's). A device clock minutes
 * behind or ahead cannot fool it: a fresh report from a slow clock counts, an old one from a fast clock
 * does not. Use with {@link pollUntil} or {@link pollQueryUntil}.
 */
export function rebootWrittenAfter(criteria: RebootCriteria): (twin: unknown) => PollCheck<RebootWritten> {
  rebootThreshold(criteria);
  return (twin) => checkWrittenAfter(readLastRebootWithWriteTime(twin), criteria);
}

/** The last reboot of a twin, with when the hub wrote it (`writtenAt`) when its `$metadata` says so. */
export function readLastRebootWithWriteTime(twin: unknown): LastReboot & { writtenAt?: Date } {
  const last = readLastRebootFromTwin(twin);
  if (!last.reported) return last;
  const writtenAt = lastUpdated(twin, last.source);
  return writtenAt === undefined ? last : { ...last, writtenAt };
}

/** {@link rebootWrittenAfter}'s check on an observation already read from a twin. */
export function checkWrittenAfter(
  last: LastReboot & { writtenAt?: Date },
  criteria: RebootCriteria,
): PollCheck<RebootWritten> {
  const threshold = rebootThreshold(criteria);
  if (!last.reported) return { done: false, reason: last.reason };
  const { writtenAt } = last;
  if (writtenAt === undefined) {
    return { done: false, reason: `the twin has no $metadata.$lastUpdated for ${last.source}` };
  }
  if (writtenAt.getTime() > threshold) return { done: true, value: { ...last, writtenAt } };
  return {
    done: false,
    reason: `${last.source} was last written at ${writtenAt.toISOString()} (hub clock), not after ${new Date(threshold).toISOString()}`,
  };
}

/**
 * @internal When the hub last wrote the reported property at `path` (`a.b`), from `$metadata`, which
 * mirrors the reported properties: `$metadata.a.b.$lastUpdated`.
 */
export function lastUpdated(twin: unknown, path: string): Date | undefined {
  let node = (twin as { properties?: { reported?: { $metadata?: unknown } } })?.properties?.reported
    ?.$metadata;
  for (const key of path.split('.')) {
    node = typeof node === 'object' && node !== null ? (node as Record<string, unknown>)[key] : undefined;
  }
  const text =
    typeof node === 'object' && node !== null ? (node as { $lastUpdated?: unknown }).$lastUpdated : undefined;
  const date = typeof text === 'string' ? new Date(text) : undefined;
  return date && !Number.isNaN(date.getTime()) ? date : undefined;
}
