import type { TwinClient } from './client';
import { type ReportingOptions, resolveReportingOptions } from './options';
import { deliverPendingReport, type PendingReportOutcome } from './pending';
import { withStoreLock } from './store-lock';
import { createTwinReporter } from './twin-report';

/**
 * Start-up call: once the client is open, reports the reboot a previous run of this process left
 * pending in `options.store` (a real restart ends the process before it can report), then clears it.
 * Work on the same store object is serialized with an attached handler's requests, so calling it
 * again later (e.g. after a reconnect) waits for a running reboot instead of racing it.
 * Resolves with what it did; rejects with `RetriesExhaustedError` when the twin report still fails (the
 * record stays, so a later call reports it) or `PendingRebootStoreError` when the store fails.
 */
export async function reportPendingReboot(
  client: TwinClient,
  options: ReportingOptions = {},
): Promise<PendingReportOutcome> {
  const resolved = resolveReportingOptions(options);
  return withStoreLock(resolved.store, () =>
    deliverPendingReport({
      store: resolved.store,
      report: createTwinReporter(client, resolved),
      processStartedAt: resolved.processStartedAt,
      logger: resolved.logger,
    }),
  );
}
