import type { TwinClient } from './client';
import { type ReportingOptions, resolveReportingOptions } from './options';
import { deliverPendingReport, type PendingReportOutcome } from './pending';
import { createTwinReporter } from './twin-report';

/**
 * Start-up call: once the client is open, reports the reboot a previous run of this process left
 * pending in `options.store` (a real restart ends the process before it can report), then clears it.
 * Let it settle before attaching a handler to the same store: both write the record.
 * Resolves with what it did; rejects with `RetriesExhaustedError` when the twin report still fails (the
 * record stays, so a later call reports it) or `PendingRebootStoreError` when the store fails.
 */
export async function reportPendingReboot(
  client: TwinClient,
  options: ReportingOptions = {},
): Promise<PendingReportOutcome> {
  const resolved = resolveReportingOptions(options);
  return deliverPendingReport({
    store: resolved.store,
    report: createTwinReporter(client, resolved),
    processStartedAt: resolved.processStartedAt,
    logger: resolved.logger,
  });
}
