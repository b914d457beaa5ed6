import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { REBOOT_METHOD_NAME } from '@iothub-reboot/contracts';
import { ensureFleetIdentities } from '@iothub-reboot/device-app/fleet-identities';
import { createServiceClients, parseServiceConnectionString } from '@iothub-reboot/service-connection';
import { cpuProfArgs, startBenchHub } from './bench-hub';
import { cumulative, type TimelineSeries } from './charts/specs';
import { type BenchContext, invokeOk } from './context';
import { startFleetWorkers } from './fleet/workers';
import { type Summary, summarize } from './stats';
import { StormTracker } from './storm/tracker';

/** Scenario 5's figures: a connected fleet, the hub process restarted, until every device is back. */
export interface StormFigures {
  devices: number;
  processes: number;
  /** The first connect of the fleet (identities already made), for comparison. */
  connectMs: number;
  /** From telling the old hub process to stop until the new one listened (state loaded from disk). */
  restartMs: number;
  /** The first part of {@link restartMs}: until the old process had closed its connections and exited. */
  stopMs: number;
  /** From the restart's start until the last device reconnected (the SDK's `connect` event). */
  allReconnectedMs: number;
  /** From the restart's start until the last device answered a method call made after it reconnected. */
  allAnsweredMs: number;
  /** Per device, restart start → reconnected and → answered. */
  reconnect: Summary;
  back: Summary;
  /** Method calls made to bring the fleet back (one per device, more when a call had to be repeated). */
  methodCalls: number;
  timeline: TimelineSeries[];
}

/** How long a storm may take before the run fails (the target is 15 s at 10,000 devices). */
const STORM_TIMEOUT_MS = 300_000;
const POLL_MS = 100;

/**
 * The reconnect storm: `devices` real SDK devices (the fleet workers, memory pending-reboot store) on a
 * hub with a file store, then the hub process is stopped and started again on the same data directory
 * and ports. Each device that reconnects gets one `rebootDevice` call (0 s reboot, `concurrency` in
 * flight); the storm is over when every device has answered one.
 */
export async function storm(
  ctx: BenchContext,
  options: { devices: number; processes: number; concurrency: number; cpuProfDir?: string },
): Promise<StormFigures> {
  const { devices } = options;
  const hub = await startBenchHub({
    durable: true,
    ...(options.cpuProfDir === undefined ? {} : { cpuProfDir: options.cpuProfDir }),
  });
  ctx.defer(() => hub.close());
  ctx.processRole(hub.pids[0], 'hub, storm (before the restart)');
  const stateDir = await mkdtemp(join(tmpdir(), 'bench-storm-'));
  ctx.defer(() => rm(stateDir, { recursive: true, force: true }));
  const prefix = `storm${devices}-`;
  const setup = createServiceClients(hub.serviceConnectionString, { ca: hub.caPem });
  const identities = await ensureFleetIdentities(setup.registry, {
    count: devices,
    idPrefix: prefix,
    sites: 4,
  }).finally(() => setup.close());
  const workers = await ctx.phase('storm: connect', () =>
    startFleetWorkers({
      processes: options.processes,
      identities,
      hostName: parseServiceConnectionString(hub.serviceConnectionString).hostName,
      mqttPort: hub.mqttPort,
      caPem: hub.caPem,
      store: 'memory',
      stateDir,
      execArgv: cpuProfArgs(options.cpuProfDir),
    }),
  );
  ctx.defer(() => workers.stop());
  for (const [w, pid] of workers.pids.entries()) ctx.processRole(pid, `fleet worker ${w + 1}`);
  const connectMs = Math.max(...workers.connectedAt) - workers.connectStartedAt;
  await workers.takeEvents(); // forget what came before the restart

  const ids = identities.map((identity) => identity.deviceId);
  const restartStartedAt = Date.now();
  const tracker = new StormTracker(ids, restartStartedAt);
  let methodCalls = 0;
  const { restart, service } = await ctx.phase('storm: restart until all back', async () => {
    const restart = await hub.restart();
    ctx.processRole(hub.pids[1], 'hub, storm (after the restart)');
    // New service clients: the old ones' keep-alive connections died with the old process.
    return { restart, service: createServiceClients(hub.serviceConnectionString, { ca: hub.caPem }) };
  });
  try {
    await ctx.phase('storm: restart until all back', () =>
      bringBack(tracker, {
        concurrency: options.concurrency,
        poll: async () => {
          const { reconnected } = await workers.takeEvents();
          for (const [deviceId, at] of reconnected) tracker.reconnected(deviceId, at);
        },
        call: async (deviceId) => {
          // A device may drop again while the storm settles (its SDK's retry racing our reopen): up to three
          // calls, each waiting up to 10 s for the device to be online; every call made is counted.
          for (let attempt = 1; ; attempt++) {
            methodCalls++;
            try {
              await invokeOk(service, deviceId, REBOOT_METHOD_NAME, { delaySeconds: 0 });
              break;
            } catch (err) {
              if (attempt >= 3) throw err;
            }
          }
          tracker.answered(deviceId, Date.now());
        },
      }),
    );
  } finally {
    await service.close();
  }
  const figures = tracker.figures();
  return {
    devices,
    processes: Math.min(options.processes, devices),
    connectMs,
    restartMs: restart.listeningAt - restartStartedAt,
    stopMs: restart.stoppedAt - restartStartedAt,
    allReconnectedMs: figures.allReconnectedMs,
    allAnsweredMs: figures.allAnsweredMs,
    reconnect: summarize(figures.reconnectedMs),
    back: summarize(figures.answeredMs),
    methodCalls,
    timeline: [
      {
        phase: 'connect',
        metric: 'connected',
        points: cumulative(workers.connectedAt.map((t) => t - workers.connectStartedAt)),
      },
      { phase: 'hub restart', metric: 'connected', points: cumulative(figures.reconnectedMs) },
      { phase: 'hub restart', metric: 'answered', points: cumulative(figures.answeredMs) },
    ],
  };
}

/**
 * Calls `call` once for every device the tracker hands out, at most `concurrency` at once, polling for
 * newly reconnected devices (every {@link POLL_MS} ms) while there is room; resolves when every device answered.
 */
export async function bringBack(
  tracker: StormTracker,
  options: {
    concurrency: number;
    poll: () => Promise<void>;
    call: (deviceId: string) => Promise<void>;
    timeoutMs?: number;
    /** How often to poll for reconnects (default {@link POLL_MS}). */
    pollMs?: number;
  },
): Promise<void> {
  const pollMs = options.pollMs ?? POLL_MS;
  const deadline = Date.now() + (options.timeoutMs ?? STORM_TIMEOUT_MS);
  const queue: string[] = [];
  const inFlight = new Set<Promise<void>>();
  let failure: unknown;
  let lastPoll = Number.NEGATIVE_INFINITY;
  while (!tracker.done && failure === undefined) {
    if (Date.now() > deadline) {
      throw new Error(
        `storm: ${tracker.answeredCount} of the devices back (${tracker.reconnectedCount} reconnected) after ${
          options.timeoutMs ?? STORM_TIMEOUT_MS
        } ms; not back e.g. ${tracker.missing().join(', ')}`,
      );
    }
    // At most every pollMs: each poll asks every worker over IPC.
    if (Date.now() - lastPoll >= pollMs) {
      lastPoll = Date.now();
      await options.poll();
      queue.push(...tracker.takeReady());
    }
    while (queue.length > 0 && inFlight.size < options.concurrency) {
      const id = queue.shift() as string;
      const run: Promise<void> = options.call(id).then(
        () => void inFlight.delete(run),
        (err: unknown) => {
          inFlight.delete(run);
          failure ??= err;
        },
      );
      inFlight.add(run);
    }
    if (tracker.done) break;
    // Until a call ends (room for a queued device) or the next poll is due.
    await Promise.race([sleep(Math.max(1, lastPoll + pollMs - Date.now())), ...inFlight]);
  }
  await Promise.allSettled(inFlight);
  if (failure !== undefined) throw failure;
}
