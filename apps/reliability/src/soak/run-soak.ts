import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mapSettledWithLimit } from '@iothub-reboot/app-kit';
import { readLastRebootFromTwin } from '@iothub-reboot/contracts';
import { readConnectionFile } from '@iothub-reboot/local-hub';
import { freePorts, startHubProcess } from '@iothub-reboot/local-hub/testing';
import { createServiceClients } from '@iothub-reboot/service-connection';
import pino, { type Logger } from 'pino';
import { startDeviceFleet } from '../fleet/device-fleet';
import { provisionDevices } from '../fleet/provision';
import { invokeReboot } from '../service/invoke-reboot';
import type { SoakSettings } from './soak-options';
import { newTally, rebootTimeOf, type SoakTally, tallyCall, unexpectedCount } from './soak-tally';

/** What a soak run measured and whether it passed. */
export interface SoakReport {
  settings: SoakSettings;
  tally: SoakTally;
  /** Time spent issuing reboots. */
  elapsedMs: number;
  /** Hub RSS once every device was connected, and at the end. */
  rssStartBytes: number;
  rssEndBytes: number;
  /** `device/callId` pairs whose reboot ran more than once. */
  duplicateReboots: string[];
  /** Devices whose twin does not hold the reboot time of their last 200 answer. */
  twinMismatches: string[];
  /** Why the run failed; empty when it passed. */
  failures: string[];
}

/**
 * Runs the soak: a local hub process on a fresh data directory, `settings.devices` simulated devices,
 * reboots invoked back to back for `settings.durationSeconds` (each device has at most one call in
 * flight), then checks the twins. Cleans up everything it started; `signal` ends the reboots early.
 */
export async function runSoak(
  settings: SoakSettings,
  options: { logger?: Logger; signal?: AbortSignal } = {},
): Promise<SoakReport> {
  const logger = options.logger ?? pino({ level: 'silent' });
  const dir = await mkdtemp(join(tmpdir(), 'iothub-soak-'));
  const [mqttPort = 0, httpsPort = 0] = await freePorts(2);
  const hub = await startHubProcess({ dataDir: dir, mqttPort, httpsPort });
  const connection = await readConnectionFile(dir);
  const service = createServiceClients(connection.serviceConnectionString, { ca: connection.caFile });
  try {
    const ids = Array.from({ length: settings.devices }, (_, i) => `soak-${String(i).padStart(5, '0')}`);
    const strings = await provisionDevices(service.registry, ids, {
      hostName: connection.hostName,
      mqttPort,
    });
    const fleet = await startDeviceFleet({
      connectionStrings: strings,
      ca: await readFile(connection.caFile, 'utf8'),
      logger,
    });
    try {
      logger.info({ devices: ids.length }, 'fleet connected; reboots start');
      const rssStartBytes = await hub.rssBytes();
      let tally = newTally();
      const lastRebootTime = new Map<string, string>();
      const start = performance.now();
      const deadline = start + settings.durationSeconds * 1000;
      const running = () => performance.now() < deadline && !options.signal?.aborted;
      // Worker w owns devices w, w + C, w + 2C…: no device ever has two calls in flight.
      const worker = async (w: number) => {
        for (let round = 0; running(); round += 1) {
          for (let i = w; i < ids.length && running(); i += settings.concurrency) {
            const id = ids[i] ?? '';
            const outcome = await invokeReboot(service.client, id, `soak-${round}`, {
              responseTimeoutInSeconds: 30,
            });
            tally = tallyCall(tally, outcome);
            const time =
              outcome.kind === 'answered' && outcome.status === 200
                ? rebootTimeOf(outcome.payload)
                : undefined;
            if (time) lastRebootTime.set(id, time);
          }
        }
      };
      await Promise.all(Array.from({ length: settings.concurrency }, (_, w) => worker(w)));
      const elapsedMs = performance.now() - start;
      const rssEndBytes = await hub.rssBytes();

      const checked = await mapSettledWithLimit([...lastRebootTime], 20, async ([id, time]) => {
        const { responseBody } = await service.registry.getTwin(id);
        const last = readLastRebootFromTwin(responseBody);
        return last.reported && last.rebootTime.getTime() === Date.parse(time) ? undefined : id;
      });
      const twinMismatches = checked.flatMap((c, i) =>
        c.status === 'rejected' ? [[...lastRebootTime.keys()][i] ?? '?'] : c.value ? [c.value] : [],
      );
      const duplicateReboots = fleet.duplicateReboots();
      const growthMb = (rssEndBytes - rssStartBytes) / 2 ** 20;
      const failures = [
        ...(unexpectedCount(tally) > 0 ? [`${unexpectedCount(tally)} unexpected call outcomes`] : []),
        ...(tally.rebooted === 0 ? ['no reboot completed'] : []),
        ...(duplicateReboots.length > 0 ? [`${duplicateReboots.length} reboots ran twice`] : []),
        ...(twinMismatches.length > 0
          ? [`${twinMismatches.length} twins without their last reboot time`]
          : []),
        ...(growthMb > settings.maxRssGrowthMb
          ? [`hub RSS grew ${growthMb.toFixed(1)} MB (bound ${settings.maxRssGrowthMb} MB)`]
          : []),
      ];
      return {
        settings,
        tally,
        elapsedMs,
        rssStartBytes,
        rssEndBytes,
        duplicateReboots,
        twinMismatches,
        failures,
      };
    } finally {
      await fleet.close();
    }
  } finally {
    await service.close();
    await hub.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

/** The lines printed at the end of a soak run. */
export function formatSoakReport(report: SoakReport): string {
  const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MB`;
  const seconds = report.elapsedMs / 1000;
  const unexpected = Object.entries(report.tally.unexpected);
  return [
    `soak: ${report.settings.devices} devices, ${seconds.toFixed(1)} s, concurrency ${report.settings.concurrency}`,
    `  reboot calls        ${report.tally.calls} (${(report.tally.calls / Math.max(seconds, 0.001)).toFixed(1)}/s)`,
    `  rebooted (200)      ${report.tally.rebooted}`,
    `  unexpected          ${unexpected.length === 0 ? 0 : unexpected.map(([kind, n]) => `${kind}: ${n}`).join(', ')}`,
    `  reboots run twice   ${report.duplicateReboots.length}`,
    `  twins behind        ${report.twinMismatches.length}`,
    `  hub RSS             ${mb(report.rssStartBytes)} -> ${mb(report.rssEndBytes)} (${mb(report.rssEndBytes - report.rssStartBytes)}, bound ${report.settings.maxRssGrowthMb} MB)`,
    report.failures.length === 0 ? 'PASS' : `FAIL: ${report.failures.join('; ')}`,
  ].join('\n');
}
