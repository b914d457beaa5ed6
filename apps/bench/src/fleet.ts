import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mapSettledWithLimit, startChildApp } from '@iothub-reboot/app-kit';
import { REBOOT_METHOD_NAME } from '@iothub-reboot/contracts';
import { pollQueryUntil, rebootReportedAfter, type TwinQuerySource } from '@iothub-reboot/twin-poller';
import { type BenchContext, invokeOk } from './context';
import { settledOrThrow } from './devices';

/** Scenario 3's figures for one fleet size. */
export interface FleetFigures {
  devices: number;
  /** From the simulator's first connect to its last (identities already created). */
  connectMs: number;
  hubRssPerDeviceBytes: number;
  fanOut: { wallMs: number; methodCalls: number; queryPages: number };
}

const FLEET_MAIN = require.resolve('@iothub-reboot/device-app/dist/main.js');

/**
 * Runs the fleet simulator (apps/device, a real SDK client per device) in its own process, measures the
 * hub's memory per connected device from the hub's process, then reboots the whole fleet by fan-out and
 * confirms it with paged twin queries (pollQueryUntil).
 */
export async function fleet(
  ctx: BenchContext,
  options: { devices: number; concurrency: number; pollIntervalMs: number; emit: (line: string) => void },
): Promise<FleetFigures> {
  const { devices } = options;
  const prefix = `fleet${devices}-`;
  const stateDir = await mkdtemp(join(tmpdir(), 'bench-fleet-'));
  ctx.defer(() => rm(stateDir, { recursive: true, force: true }));
  const rssBefore = await ctx.hub.rss();
  const app = startChildApp({
    label: `[fleet ${devices}]`,
    script: FLEET_MAIN,
    args: [
      '--count',
      String(devices),
      '--id-prefix',
      prefix,
      '--reboot-seconds',
      '0',
      '--state-dir',
      stateDir,
      '--service-connection-string',
      ctx.hub.serviceConnectionString,
      '--gateway-host-name',
      `127.0.0.1:${ctx.hub.mqttPort}`,
      '--ca',
      ctx.hub.caFile,
    ],
    // The simulator logs JSON at warn level: only its connected line and real problems reach us.
    emit: (line) => {
      if (!line.includes('Fleet connected')) options.emit(line);
    },
  });
  ctx.defer(async () => {
    const code = await app.stop();
    if (code !== 0) throw new Error(`the fleet simulator exited with code ${code}`);
  });
  const connected = JSON.parse(await app.waitForLine(/Fleet connected/)) as { ms?: unknown };
  if (typeof connected.ms !== 'number') throw new Error('the simulator did not say how long connecting took');
  const rssAfter = await ctx.hub.rss();

  const width = String(devices - 1).length;
  const ids = Array.from({ length: devices }, (_, i) => `${prefix}${String(i).padStart(width, '0')}`);
  let queryPages = 0;
  // Counts every page request the poller makes.
  const counting: TwinQuerySource = {
    createQuery: (sql, pageSize) => {
      const query = ctx.service.registry.createQuery(sql, pageSize);
      return {
        get hasMoreResults() {
          return query.hasMoreResults;
        },
        get continuationToken() {
          return query.continuationToken;
        },
        next: (token) => {
          queryPages++;
          return query.next(token);
        },
      };
    },
  };
  const requestedAt = new Date();
  const started = performance.now();
  settledOrThrow(
    await mapSettledWithLimit(ids, options.concurrency, (id) =>
      invokeOk(ctx.service, id, REBOOT_METHOD_NAME, { delaySeconds: 0 }),
    ),
  );
  await pollQueryUntil({
    registry: counting,
    deviceIds: ids,
    predicate: rebootReportedAfter({ requestedAt, clockSkewMs: 0 }),
    intervalMs: options.pollIntervalMs,
    timeoutMs: 60_000,
  });
  const wallMs = performance.now() - started;
  return {
    devices,
    connectMs: connected.ms,
    hubRssPerDeviceBytes: (rssAfter - rssBefore) / devices,
    fanOut: { wallMs, methodCalls: ids.length, queryPages },
  };
}
