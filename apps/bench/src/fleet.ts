import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { mapSettledWithLimit, startChildApp } from '@iothub-reboot/app-kit';
import { REBOOT_METHOD_NAME } from '@iothub-reboot/contracts';
import { pollQueryUntil, rebootReportedAfter, type TwinQuerySource } from '@iothub-reboot/twin-poller';
import { cpuProfArgs } from './bench-hub';
import { type BenchContext, invokeOk } from './context';
import { settledOrThrow } from './devices';
import { type Summary, summarize } from './stats';

/** A fan-out reboot: one method call per device from the service side. */
export interface FanOutFigures {
  /** Until every device is confirmed. */
  wallMs: number;
  /** Until the last method call was answered (before confirmation starts). */
  answeredMs: number;
  /** Each call's time during the fan-out. */
  methodLatency: Summary;
  requests: { methodCalls: number; queryPages: number };
}

/** A job reboot: one scheduled IoT Hub job, followed with getJob. */
export interface JobFigures {
  wallMs: number;
  /** Until getJob said completed. */
  jobEndedMs: number;
  requests: { scheduleJob: number; getJob: number; queryPages: number };
}

/** Scenario 3's figures for one fleet size. */
export interface FleetFigures {
  devices: number;
  /** From the simulator's first connect to its last (identities already created). */
  connectMs: number;
  hubRssPerDeviceBytes: number;
  fanOut: FanOutFigures;
  job: JobFigures;
}

const FLEET_MAIN = require.resolve('@iothub-reboot/device-app/dist/main.js');

/**
 * Runs the fleet simulator (apps/device, a real SDK client per device) in its own process, measures the
 * hub's memory per connected device from the hub's process, then reboots the whole fleet by fan-out, then
 * by an IoT Hub job, each confirmed with paged twin queries (pollQueryUntil).
 */
export async function fleet(
  ctx: BenchContext,
  options: {
    devices: number;
    concurrency: number;
    pollIntervalMs: number;
    cpuProfDir?: string;
    emit: (line: string) => void;
  },
): Promise<FleetFigures> {
  const { devices } = options;
  const prefix = `fleet${devices}-`;
  const stateDir = await mkdtemp(join(tmpdir(), 'bench-fleet-'));
  ctx.defer(() => rm(stateDir, { recursive: true, force: true }));
  const rssBefore = await ctx.hub.rss();
  const app = startChildApp({
    label: `[fleet ${devices}]`,
    script: FLEET_MAIN,
    nodeArgs: cpuProfArgs(options.cpuProfDir),
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
    // Thousands of clients take a while to close.
    const code = await app.stop(60_000);
    if (code !== 0) throw new Error(`the fleet simulator exited with code ${code}`);
  });
  const connected = JSON.parse(await app.waitForLine(/Fleet connected/)) as { ms?: unknown };
  if (typeof connected.ms !== 'number') throw new Error('the simulator did not say how long connecting took');
  const rssAfter = await ctx.hub.rss();

  const width = String(devices - 1).length;
  const ids = Array.from({ length: devices }, (_, i) => `${prefix}${String(i).padStart(width, '0')}`);
  return {
    devices,
    connectMs: connected.ms,
    hubRssPerDeviceBytes: (rssAfter - rssBefore) / devices,
    fanOut: await fanOutReboot(ctx, ids, options),
    job: await jobReboot(ctx, ids, prefix, options.pollIntervalMs),
  };
}

/** Reboots every device with one method call each, `concurrency` in flight, then confirms. */
async function fanOutReboot(
  ctx: BenchContext,
  ids: readonly string[],
  options: { concurrency: number; pollIntervalMs: number },
): Promise<FanOutFigures> {
  const requestedAt = new Date();
  const started = performance.now();
  const latencies = settledOrThrow(
    await mapSettledWithLimit(ids, options.concurrency, async (id) => {
      const callStarted = performance.now();
      await invokeOk(ctx.service, id, REBOOT_METHOD_NAME, { delaySeconds: 0 });
      return performance.now() - callStarted;
    }),
  );
  const answeredMs = performance.now() - started;
  const queryPages = await confirm(ctx, ids, requestedAt, options.pollIntervalMs);
  return {
    wallMs: performance.now() - started,
    answeredMs,
    methodLatency: summarize(latencies),
    requests: { methodCalls: ids.length, queryPages },
  };
}

/**
 * Reboots the fleet with one IoT Hub job (the hub runs the calls), follows it with getJob every poll
 * interval until it ends, then confirms. Any failed device or a job that does not complete is an error.
 */
async function jobReboot(
  ctx: BenchContext,
  ids: readonly string[],
  prefix: string,
  pollIntervalMs: number,
): Promise<JobFigures> {
  const jobId = `bench-${prefix}${Date.now()}`;
  const requestedAt = new Date();
  const started = performance.now();
  await ctx.service.jobClient.scheduleDeviceMethod(jobId, `tags.simulator = '${prefix}'`, {
    methodName: REBOOT_METHOD_NAME,
    payload: { delaySeconds: 0 },
    responseTimeoutInSeconds: 30,
  });
  let getJobCalls = 0;
  const deadline = Date.now() + 120_000;
  for (;;) {
    getJobCalls++;
    const { jobStatus } = await ctx.service.jobClient.getJob(jobId);
    const job = jobStatus as {
      status?: string;
      deviceJobStatistics?: { failedCount?: number; succeededCount?: number };
    };
    if (job.status === 'completed') {
      const stats = job.deviceJobStatistics;
      if (stats?.failedCount !== 0 || stats.succeededCount !== ids.length) {
        throw new Error(
          `job ${jobId} completed with ${JSON.stringify(stats)}, expected ${ids.length} successes`,
        );
      }
      break;
    }
    if (job.status === 'failed' || job.status === 'cancelled')
      throw new Error(`job ${jobId} ended ${job.status}`);
    if (Date.now() > deadline) throw new Error(`job ${jobId} still ${String(job.status)} after 120 s`);
    await sleep(pollIntervalMs);
  }
  const jobEndedMs = performance.now() - started;
  const queryPages = await confirm(ctx, ids, requestedAt, pollIntervalMs);
  return {
    wallMs: performance.now() - started,
    jobEndedMs,
    requests: { scheduleJob: 1, getJob: getJobCalls, queryPages },
  };
}

/** Waits until every device reported a reboot after `requestedAt`; returns how many query pages it read. */
async function confirm(
  ctx: BenchContext,
  ids: readonly string[],
  requestedAt: Date,
  intervalMs: number,
): Promise<number> {
  let pages = 0;
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
          pages++;
          return query.next(token);
        },
      };
    },
  };
  await pollQueryUntil({
    registry: counting,
    deviceIds: ids,
    predicate: rebootReportedAfter({ requestedAt, clockSkewMs: 0 }),
    intervalMs,
    timeoutMs: 60_000,
  });
  return pages;
}
