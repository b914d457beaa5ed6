import type { ConfirmationRule } from '@iothub-reboot/twin-poller';
import { EXIT, type OutcomeCode } from './exit-codes';
import type { FleetRun, WaveSummary } from './fleet-flow';

/** How the reboot of one device of a fleet ended. */
export interface DeviceOutcome {
  deviceId: string;
  outcome: OutcomeCode;
  /** The device's method status, when it answered. */
  status?: number;
  lastRebootTime?: string;
  /** Which rule confirmed the reboot: the echoed correlation id, or a clock. */
  confirmedBy?: ConfirmationRule;
  /** The device's wave (1-based), in a rollout of several waves. */
  wave?: number;
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
  /** A rollout of several waves: each wave's size, status and counts. */
  waves?: WaveSummary[];
  /** The wave that crossed `--max-failures`; the later ones were not started. */
  stopped?: FleetRun['stopped'];
  devices: DeviceOutcome[];
}

/** Exit codes of a fleet run: all rebooted, some, none; a rollout stopped by `--max-failures`. */
export const FLEET_EXIT = {
  allRebooted: 0,
  partial: 10,
  noneRebooted: 11,
  rolloutStopped: EXIT.rolloutStopped,
} as const;

/** Builds the report (devices in id order) from the per-device outcomes. */
export function fleetReport(
  outcomes: readonly DeviceOutcome[],
  context: {
    strategy: 'fan-out' | 'job';
    requestedAt: Date;
    jobId?: string;
    correlationId?: string;
    waves?: WaveSummary[];
    stopped?: FleetRun['stopped'];
  },
): FleetReport {
  const devices = [...outcomes].sort((a, b) =>
    a.deviceId < b.deviceId ? -1 : a.deviceId > b.deviceId ? 1 : 0,
  );
  const counts: FleetReport['counts'] = { total: devices.length, rebooted: 0, failed: 0 };
  for (const d of devices) {
    counts[d.outcome] = (counts[d.outcome] ?? 0) + 1;
    // Devices a stopped rollout never asked are counted as `skipped`, not as failures.
    if (d.outcome !== 'rebooted' && d.outcome !== 'skipped') counts.failed += 1;
  }
  counts.rebooted = counts.rebooted ?? 0;
  const outcome =
    counts.rebooted === devices.length ? 'all-rebooted' : counts.rebooted === 0 ? 'none-rebooted' : 'partial';
  return {
    ok: outcome === 'all-rebooted',
    outcome,
    strategy: context.strategy,
    ...(context.jobId ? { jobId: context.jobId } : {}),
    ...(context.correlationId ? { correlationId: context.correlationId } : {}),
    requestedAt: context.requestedAt.toISOString(),
    counts,
    ...(context.waves ? { waves: context.waves } : {}),
    ...(context.stopped ? { stopped: context.stopped } : {}),
    devices,
  };
}

/** The exit code that goes with a report. */
export function fleetExitCode(report: FleetReport): number {
  if (report.stopped) return FLEET_EXIT.rolloutStopped;
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
    'skipped',
  ];
  for (const code of order) {
    const n = report.counts[code];
    if (n) lines.push(`  ${code.padEnd(18)}  ${String(n).padStart(7)}`);
  }
  if (report.waves) {
    lines.push('', '  wave   devices  rebooted   failed  status');
    for (const w of report.waves) {
      const status = w.status === 'skipped' ? 'not started' : 'done';
      lines.push(
        `  ${String(w.wave).padStart(4)}  ${String(w.devices).padStart(8)}  ${String(w.rebooted).padStart(8)}  ${String(w.failed).padStart(7)}  ${status}`,
      );
    }
  }
  if (report.stopped) {
    const s = report.stopped;
    lines.push(
      '',
      `Rollout stopped after wave ${s.afterWave}: ${s.failures} of ${s.devices} failed, more than --max-failures ${s.limit}; later waves were not touched.`,
    );
  }
  // Devices that did not reboot and why (those never asked are counted above, not listed).
  const failed = report.devices.filter((d) => d.outcome !== 'rebooted' && d.outcome !== 'skipped');
  if (failed.length > 0) {
    const waveColumn = report.waves ? 'wave  ' : '';
    lines.push('', `  device                          ${waveColumn}outcome            detail`);
    for (const d of failed) {
      const wave = report.waves ? `${String(d.wave ?? '').padStart(4)}  ` : '';
      lines.push(`  ${d.deviceId.padEnd(30)}  ${wave}${d.outcome.padEnd(17)}  ${d.error ?? ''}`);
    }
  }
  return lines.join('\n');
}
