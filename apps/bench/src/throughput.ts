import { cpuProfArgs } from './bench-hub';
import { type BenchContext, invokeOk } from './context';
import { createIdentities } from './devices';
import { startFleetWorkers } from './fleet/workers';
import { timeUnderLoad } from './measure';
import { NOOP_METHOD } from './round-trip';
import { perSecond, type Summary, summarize } from './stats';

/** Figures of one kind of call under load. */
export interface LoadFigures {
  perSecond: number;
  latency: Summary;
}

/** Scenario 4's figures. */
export interface ThroughputResult {
  devices: number;
  inFlight: number;
  methods: LoadFigures;
  twinReads: LoadFigures;
}

/**
 * Sustained zero-work method calls with `inFlight` outstanding over `devices` devices, then twin reads the
 * same way. Each worker owns its own devices (worker w calls w, w+inFlight, …), so no device ever has two
 * calls at once and a device-side queue cannot hide in the figures. The devices run in the fleet worker
 * processes, so this process does the service side's work only.
 */
export async function throughput(
  ctx: BenchContext,
  options: {
    devices: number;
    inFlight: number;
    warmupMs: number;
    durationMs: number;
    processes: number;
    cpuProfDir?: string;
  },
): Promise<ThroughputResult> {
  const { devices, inFlight } = options;
  const ids = Array.from({ length: devices }, (_, i) => `bench-load-${String(i).padStart(4, '0')}`);
  const workers = await startFleetWorkers({
    processes: options.processes,
    identities: await createIdentities(ctx.service.registry, ids),
    hostName: ctx.endpoint.hostName,
    mqttPort: ctx.endpoint.mqttPort,
    caPem: ctx.endpoint.caPem,
    store: 'memory',
    stateDir: '', // the memory store keeps no files
    execArgv: cpuProfArgs(options.cpuProfDir),
    zeroWorkMethod: NOOP_METHOD,
  });
  ctx.defer(() => workers.stop());
  for (const [w, pid] of workers.pids.entries()) ctx.processRole(pid, `fleet worker ${w + 1} (throughput)`);
  const deviceOf = (worker: number, call: number) => {
    const owned = Math.ceil((devices - worker) / inFlight);
    return ids[worker + (call % owned) * inFlight] as string;
  };
  const load = { inFlight, warmupMs: options.warmupMs, durationMs: options.durationMs };
  const methods = await ctx.phase('throughput: methods', () =>
    timeUnderLoad({
      ...load,
      op: (w, call) => invokeOk(ctx.service, deviceOf(w, call), NOOP_METHOD, null),
    }),
  );
  const reads = await ctx.phase('throughput: twin reads', () =>
    timeUnderLoad({
      ...load,
      op: async (w, call) => {
        await ctx.service.registry.getTwin(deviceOf(w, call));
      },
    }),
  );
  return {
    devices,
    inFlight,
    methods: {
      perSecond: perSecond(methods.samples.length, methods.elapsedMs),
      latency: summarize(methods.samples),
    },
    twinReads: {
      perSecond: perSecond(reads.samples.length, reads.elapsedMs),
      latency: summarize(reads.samples),
    },
  };
}
