import type { ConfirmationRule } from '@iothub-reboot/twin-poller';
import type { OutcomeCode } from './exit-codes';

/** How the reboot of one device of a fleet ended. */
export interface DeviceOutcome {
  deviceId: string;
  outcome: OutcomeCode;
  /** The device's method status, when it answered. */
  status?: number;
  lastRebootTime?: string;
  /** Which rule confirmed the reboot: the echoed correlation id, or a clock. */
  confirmedBy?: ConfirmationRule;
  error?: string;
}

/** The whole fleet's result, as `--json` prints it. */
export interface FleetReport {
  ok: boolean;
  outcome: 'all-rebooted' | 'partial' | 'none-rebooted';
  strategy: 'fan-out' | 'job';
  jobId?: string;
  /** The correlation id every device was asked to echo. */
  correlationId?: string;
  requestedAt: string;
  counts: { total: number; rebooted: number; failed: number } & Partial<Record<OutcomeCode, number>>;
  devices: DeviceOutcome[];
}

/** Exit codes of a fleet run: all rebooted, some, none. */
export const FLEET_EXIT = { allRebooted: 0, partial: 10, noneRebooted: 11 } as const;

/** Builds the report (devices in id order) from the per-device outcomes. */
export function fleetReport(
  outcomes: readonly DeviceOutcome[],
  context: { strategy: 'fan-out' | 'job'; requestedAt: Date; jobId?: string; correlationId?: string },
): FleetReport {
  const devices = [...outcomes].sort((a, b) =>
    a.deviceId < b.deviceId ? -1 : a.deviceId > b.deviceId ? 1 : 0,
  );
  const counts: FleetReport['counts'] = { total: devices.length, rebooted: 0, failed: 0 };
  for (const d of devices) {
    counts[d.outcome] = (counts[d.outcome] ?? 0) + 1;
    if (d.outcome !== 'rebooted') counts.failed += 1;
  }
  counts.rebooted = counts.rebooted ?? 0;
  const outcome = counts.failed === 0 ? 'all-rebooted' : counts.rebooted === 0 ? 'none-rebooted' : 'partial';
  return {
    ok: outcome === 'all-rebooted',
    outcome,
    strategy: context.strategy,
    ...(context.jobId ? { jobId: context.jobId } : {}),
    ...(context.correlationId ? { correlationId: context.correlationId } : {}),
    requestedAt: context.requestedAt.toISOString(),
    counts,
    devices,
  };
}

/** The exit code that goes with a report. */
export function fleetExitCode(report: FleetReport): number {
  if (report.outcome === 'all-rebooted') return FLEET_EXIT.allRebooted;
  return report.outcome === 'partial' ? FLEET_EXIT.partial : FLEET_EXIT.noneRebooted;
}

/** A summary for people: counts per outcome, then every device that did not reboot and why. */
export function summaryTable(report: FleetReport): string {
  const lines = [
    `Fleet reboot (${report.strategy}${report.jobId ? `, job ${report.jobId}` : ''}): ${report.counts.rebooted} of ${report.counts.total} rebooted and confirmed`,
    '',
    '  outcome             devices',
  ];
  const order: OutcomeCode[] = [
    'rebooted',
    'device-offline',
    'device-not-found',
    'method-timed-out',
    'device-error',
    'reboot-failed',
    'not-reported',
    'unexpected',
  ];
  for (const code of order) {
    const n = report.counts[code];
    if (n) lines.push(`  ${code.padEnd(18)}  ${String(n).padStart(7)}`);
  }
  const failed = report.devices.filter((d) => d.outcome !== 'rebooted');
  if (failed.length > 0) {
    lines.push('', '  device                          outcome            detail');
    for (const d of failed) {
      lines.push(`  ${d.deviceId.padEnd(30)}  ${d.outcome.padEnd(17)}  ${d.error ?? ''}`);
    }
  }
  return lines.join('\n');
}
