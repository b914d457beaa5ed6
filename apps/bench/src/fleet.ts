import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { mapSettledWithLimit } from '@iothub-reboot/app-kit';
import { REBOOT_METHOD_NAME } from '@iothub-reboot/contracts';
import { ensureFleetIdentities } from '@iothub-reboot/device-app/fleet-identities';
import { pollQueryUntil, rebootReportedAfter, type TwinQuerySource } from '@iothub-reboot/twin-poller';
import { cpuProfArgs } from './bench-hub';
import { cumulative, type TimelineSeries } from './charts/specs';
import { type BenchContext, invokeOk } from './context';
import { settledOrThrow } from './devices';
import type { ConnectFloorKind, FleetStore } from './fleet/messages';
import { forkFleetWorkers, type LoadedFleetWorkers } from './fleet/workers';
import { serverKeyType } from './floor/floor-clients';
import { startFloorProcess } from './floor/floor-process';
import { type Summary, summarize } from './stats';

/** One connect floor: how long its connections took, and what they cost the floor server held open. */
export interface FloorConnectFigures {
  /** Until the last connection was up. */
  connectMs: number;
  /** The floor process's growth per held connection, after a full GC (as the hub's is measured). */
  rssPerConnectionBytes: number;
  heapPerConnectionBytes: number;
}

/** Scenario 3's connect floors for one fleet size (see fleet/floor-connect.ts). */
export interface ConnectFloorFigures {
  /** Bare TLS connections to the floor's TLS server. */
  tls: FloorConnectFigures;
  /** mqtt.js connections to bare aedes, each up once it had its CONNACK and SUBACK. */
  mqtt: FloorConnectFigures;
}

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
  /** The simulated devices' pending-reboot store: `memory` for the fleet series, `file` as firmware runs. */
  store: FleetStore;
  /** Worker processes the devices were spread over. */
  processes: number;
  /** From the start of connecting to the last device connected (identities already created). */
  connectMs: number;
  /** The adaptive connect limit each worker ended with. */
  connectLimits: number[];
  /**
   * The same number of connections from the same workers to the independent floor (no hub logic), held
   * until the last is up: bare TLS handshakes, and the SDK's connect on the wire to bare aedes.
   */
  connectFloor: ConnectFloorFigures;
  hubRssPerDeviceBytes: number;
  /** The same growth split: JavaScript heap, and external (Buffers, C++ objects bound to JavaScript). */
  hubHeapPerDeviceBytes: number;
  hubExternalPerDeviceBytes: number;
  fanOut: FanOutFigures;
  job: JobFigures;
  /** Devices connected, answered and confirmed over time, per phase (thinned, for the chart). */
  timeline: TimelineSeries[];
}

/**
 * Spreads the simulated devices (a real SDK client and the real reboot handler each) over worker
 * processes, measures the hub's memory per connected device from the hub's process, then reboots the
 * whole fleet by fan-out, then by an IoT Hub job, each confirmed with paged twin queries (pollQueryUntil).
 */
export async function fleet(
  ctx: BenchContext,
  options: {
    devices: number;
    concurrency: number;
    pollIntervalMs: number;
    processes: number;
    store: FleetStore;
    cpuProfDir?: string;
  },
): Promise<FleetFigures> {
  const { devices } = options;
  const prefix = `fleet${devices}${options.store}-`;
  const stateDir = await mkdtemp(join(tmpdir(), 'bench-fleet-'));
  ctx.defer(() => rm(stateDir, { recursive: true, force: true }));
  const identities = await ensureFleetIdentities(ctx.service.registry, {
    count: devices,
    idPrefix: prefix,
    sites: 4,
  });
  const loaded = await forkFleetWorkers({
    processes: options.processes,
    identities,
    hostName: ctx.endpoint.hostName,
    mqttPort: ctx.endpoint.mqttPort,
    caPem: ctx.endpoint.caPem,
    store: options.store,
    stateDir,
    execArgv: cpuProfArgs(options.cpuProfDir),
  });
  ctx.defer(() => loaded.stop());
  for (const [w, pid] of loaded.pids.entries()) ctx.processRole(pid, `fleet worker ${w + 1}`);
  const connectFloor = await ctx.phase('connect floor', () => measureConnectFloor(ctx, loaded, options));
  const before = await ctx.hub.memory();
  const workers = await ctx.phase('connect', () => loaded.connect());
  const connectStarted = workers.connectStartedAt;
  const connectMs = Math.max(...workers.connectedAt) - connectStarted;
  const after = await ctx.hub.memory();
  const ids = identities.map((identity) => identity.deviceId);
  const fanOut = await fanOutReboot(ctx, ids, options);
  const fanOutAnswered = await workers.takeAnsweredAt();
  const job = await jobReboot(ctx, ids, prefix, options.pollIntervalMs);
  const jobAnswered = await workers.takeAnsweredAt();
  for (const [phase, answered] of [
    ['fan-out', fanOutAnswered],
    ['job', jobAnswered],
  ] as const) {
    if (answered.length !== devices) {
      throw new Error(`${phase}: the devices answered ${answered.length} calls, expected ${devices}`);
    }
  }
  const since = (from: number, times: readonly number[]) => cumulative(times.map((t) => t - from));
  return {
    devices,
    store: options.store,
    processes: Math.min(options.processes, devices),
    connectMs,
    connectLimits: workers.finalLimits,
    connectFloor,
    hubRssPerDeviceBytes: (after.rss - before.rss) / devices,
    hubHeapPerDeviceBytes: (after.heapUsed - before.heapUsed) / devices,
    hubExternalPerDeviceBytes: (after.external - before.external) / devices,
    fanOut: fanOut.figures,
    job: job.figures,
    timeline: [
      { phase: 'connect', metric: 'connected', points: since(connectStarted, workers.connectedAt) },
      { phase: 'fan-out', metric: 'answered', points: since(fanOut.startedAt, fanOutAnswered) },
      { phase: 'fan-out', metric: 'confirmed', points: since(fanOut.startedAt, fanOut.confirmedAt) },
      { phase: 'job', metric: 'answered', points: since(job.startedAt, jobAnswered) },
      { phase: 'job', metric: 'confirmed', points: since(job.startedAt, job.confirmedAt) },
    ],
  };
}

/**
 * The connect floors, from the loaded workers before their devices connect: bare TLS, then bare aedes,
 * each against a floor process of its own (the hub's key type), so the second's memory is not read in a
 * process the first has grown; both are stopped before the devices connect.
 */
async function measureConnectFloor(
  ctx: BenchContext,
  workers: LoadedFleetWorkers,
  options: { cpuProfDir?: string },
): Promise<ConnectFloorFigures> {
  const keyType = await serverKeyType({ port: ctx.endpoint.mqttPort, caPem: ctx.endpoint.caPem });
  const one = async (kind: ConnectFloorKind): Promise<FloorConnectFigures> => {
    const floor = await startFloorProcess(keyType, ['--expose-gc', ...cpuProfArgs(options.cpuProfDir)]);
    ctx.processRole(floor.pid, `floor (${kind} connect)`);
    try {
      const before = await floor.memory();
      const port = kind === 'tls' ? floor.echoPort : floor.brokerPort;
      const held = await workers.floorConnect({ kind, port, caPem: floor.caPem });
      try {
        const after = await floor.memory();
        const count = workers.connections;
        return {
          connectMs: held.connectMs,
          rssPerConnectionBytes: (after.rss - before.rss) / count,
          heapPerConnectionBytes: (after.heapUsed - before.heapUsed) / count,
        };
      } finally {
        await held.close();
      }
    } finally {
      await floor.stop();
    }
  };
  return { tls: await one('tls'), mqtt: await one('mqtt') };
}

/** Reboots every device with one method call each, `concurrency` in flight, then confirms. */
async function fanOutReboot(
  ctx: BenchContext,
  ids: readonly string[],
  options: { concurrency: number; pollIntervalMs: number },
): Promise<{ figures: FanOutFigures; startedAt: number; confirmedAt: number[] }> {
  const requestedAt = new Date();
  const startedAt = Date.now();
  const started = performance.now();
  const latencies = settledOrThrow(
    await ctx.phase('fan-out', () =>
      mapSettledWithLimit(ids, options.concurrency, async (id) => {
        const callStarted = performance.now();
        await invokeOk(ctx.service, id, REBOOT_METHOD_NAME, { delaySeconds: 0 });
        return performance.now() - callStarted;
      }),
    ),
  );
  const answeredMs = performance.now() - started;
  const { pages, confirmedAt } = await ctx.phase('confirmation queries', () =>
    confirm(ctx, ids, requestedAt, options.pollIntervalMs),
  );
  return {
    figures: {
      wallMs: performance.now() - started,
      answeredMs,
      methodLatency: summarize(latencies),
      requests: { methodCalls: ids.length, queryPages: pages },
    },
    startedAt,
    confirmedAt,
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
): Promise<{ figures: JobFigures; startedAt: number; confirmedAt: number[] }> {
  const jobId = `bench-${prefix}${Date.now()}`;
  const requestedAt = new Date();
  const startedAt = Date.now();
  const started = performance.now();
  const getJobCalls = await ctx.phase('job', () => followJob(ctx, jobId, ids.length, prefix, pollIntervalMs));
  const jobEndedMs = performance.now() - started;
  const { pages, confirmedAt } = await ctx.phase('confirmation queries', () =>
    confirm(ctx, ids, requestedAt, pollIntervalMs),
  );
  return {
    figures: {
      wallMs: performance.now() - started,
      jobEndedMs,
      requests: { scheduleJob: 1, getJob: getJobCalls, queryPages: pages },
    },
    startedAt,
    confirmedAt,
  };
}

/** Schedules the job and follows it with getJob until it completed; resolves with the getJob calls made. */
async function followJob(
  ctx: BenchContext,
  jobId: string,
  devices: number,
  prefix: string,
  pollIntervalMs: number,
): Promise<number> {
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
      if (stats?.failedCount !== 0 || stats.succeededCount !== devices) {
        throw new Error(
          `job ${jobId} completed with ${JSON.stringify(stats)}, expected ${devices} successes`,
        );
      }
      break;
    }
    if (job.status === 'failed' || job.status === 'cancelled')
      throw new Error(`job ${jobId} ended ${job.status}`);
    if (Date.now() > deadline) throw new Error(`job ${jobId} still ${String(job.status)} after 120 s`);
    await sleep(pollIntervalMs);
  }
  return getJobCalls;
}

/**
 * Waits until every device reported a reboot after `requestedAt`; returns how many query pages it read
 * and, per device, when (`Date.now()`) the round that first saw it confirmed ended.
 */
async function confirm(
  ctx: BenchContext,
  ids: readonly string[],
  requestedAt: Date,
  intervalMs: number,
): Promise<{ pages: number; confirmedAt: number[] }> {
  let pages = 0;
  const confirmedAt: number[] = [];
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
    onAttempt: (report) => {
      if (report.outcome === 'transient-error') return;
      const now = Date.now();
      while (confirmedAt.length < report.observation.done.length) confirmedAt.push(now);
    },
  });
  return { pages, confirmedAt };
}
