import type { Logger } from 'pino';
import { loggable } from './errors';
import { resolvePendingRecord } from './flow';
import type { PendingRebootStore } from './store';
import type { ReportReboot } from './twin-report';

/** What a pending-report delivery did. */
export type PendingReportOutcome =
  | { status: 'none' }
  | { status: 'discarded'; requestId: string }
  | { status: 'reported'; requestId: string; rebootTime: Date; recoveredFromRestart: boolean };

/** What {@link deliverPendingReport} needs. */
export interface DeliveryDeps {
  store: PendingRebootStore;
  report: ReportReboot;
  processStartedAt: Date;
  logger: Logger;
}

/**
 * Reports the reboot the store still owes, then clears the record. A `rebooting` record is first
 * rewritten as `rebooted` at process start, so a crash after this point reports that same time again
 * (harmless) instead of a new one. Rejects when the report fails; the record then stays.
 */
export async function deliverPendingReport(deps: DeliveryDeps): Promise<PendingReportOutcome> {
  const { store, report, processStartedAt, logger } = deps;
  const record = await store.load();
  if (record === undefined) return { status: 'none' };
  const log = logger.child({ requestId: record.requestId });
  const resolution = resolvePendingRecord(record, processStartedAt);
  if (resolution.action === 'discard') {
    log.warn('Discarding a pending reboot that never completed');
    await store.clear();
    return { status: 'discarded', requestId: record.requestId };
  }
  const { rebootTime, recoveredFromRestart } = resolution;
  if (recoveredFromRestart) {
    log.info({ rebootTime: rebootTime.toISOString() }, 'Device rebooted');
    await store.save({ ...record, phase: 'rebooted', rebootTime: rebootTime.toISOString() });
  }
  await report(
    {
      status: 'rebooted',
      rebootTime,
      startedAt: new Date(record.acceptedAt),
      ...(record.correlationId === undefined ? {} : { correlationId: record.correlationId }),
    },
    log,
  );
  try {
    await store.clear();
  } catch (err) {
    // The report went out; a record left behind is only reported again with the same time.
    log.error({ err: loggable(err) }, 'Could not clear the reported pending reboot');
  }
  return { status: 'reported', requestId: record.requestId, rebootTime, recoveredFromRestart };
}
