import { parseArgs } from 'node:util';
import { numberFlag, usageError, withUsageErrors } from '@iothub-reboot/app-kit';
import type { FleetStore } from './fleet/messages';

/** The scenarios, in the order they run. */
export const SCENARIOS = ['round-trip', 'confirmation', 'fleet', 'storm', 'throughput'] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

/** What a bench run does; every count is a flag so a slower machine can still finish in time. */
export interface BenchSettings {
  /** Which scenarios run (all by default); the report holds only those. */
  scenarios: ScenarioName[];
  warmup: number;
  iterations: number;
  confirmations: number;
  pollIntervalMs: number;
  fleetSizes: number[];
  fleetConcurrency: number;
  /** Worker processes the simulated fleet is spread over. */
  fleetProcesses: number;
  /** Pending-reboot store of the fleet series (memory: the simulator costs least; file: as firmware). */
  fleetStore: FleetStore;
  /** Size of the extra fleet series run with the durable file store (0: none). */
  fileStoreFleet: number;
  /** Devices connected when the hub restarts in the reconnect storm (default: the largest fleet size). */
  stormDevices: number;
  throughputDevices: number;
  inFlight: number;
  throughputSeconds: number;
  out: string;
  /** Where the hub's and the fleet simulator's `--cpu-prof` profiles go; no profiling when unset. */
  cpuProfDir?: string;
}

export const USAGE = `Usage: pnpm bench [-- options]

Benchmarks the SDK paths against the local hub (its own process, TLS) and the raw MQTT/HTTPS floor of the
same hub in the same run. Prints a table and writes a JSON report. Any failed call exits non-zero.

  --scenarios <a,b,…>       run only these, of ${SCENARIOS.join(', ')} (default: all)
  --warmup <n>              unmeasured rounds (or calls) before measuring (default 50)
  --iterations <n>          measured rounds of the round-trip series, one call each (default 500)
  --confirmations <n>       reboot confirmations per response mode (default 40)
  --poll-interval-ms <ms>   twin poll interval for confirmations (default 200)
  --fleet <n,n,…>           fleet sizes (default 100,1000,10000)
  --fleet-concurrency <n>   method calls in flight during a fleet fan-out (default 64)
  --fleet-processes <n>     worker processes the simulated fleet is spread over (default 2)
  --fleet-store <s>         memory | file: the fleet series' pending-reboot store (default memory)
  --file-store-fleet <n>    one more fleet series of n devices on the durable file store (default 1000, 0: none)
  --storm-devices <n>       devices connected when the storm scenario restarts the hub (default: the largest --fleet size)
  --throughput-devices <n>  devices for the throughput scenario (default 100)
  --in-flight <n>           calls in flight for the throughput scenario (default 64)
  --throughput-seconds <s>  measured seconds per throughput series (default 10)
  --out <file>              JSON report (default bench/results/latest.json in the repository)
  --cpu-prof-dir <dir>      profile the hub and fleet processes (node --cpu-prof) into this directory`;

/** Parses argv; `undefined` means "print the usage". Throws a usage error on bad flags. */
export function parseBenchOptions(argv: readonly string[], defaultOut: string): BenchSettings | undefined {
  const { values } = withUsageErrors(() =>
    parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        help: { type: 'boolean', short: 'h' },
        scenarios: { type: 'string' },
        warmup: { type: 'string' },
        iterations: { type: 'string' },
        confirmations: { type: 'string' },
        'poll-interval-ms': { type: 'string' },
        fleet: { type: 'string' },
        'fleet-concurrency': { type: 'string' },
        'fleet-processes': { type: 'string' },
        'fleet-store': { type: 'string' },
        'file-store-fleet': { type: 'string' },
        'storm-devices': { type: 'string' },
        'throughput-devices': { type: 'string' },
        'in-flight': { type: 'string' },
        'throughput-seconds': { type: 'string' },
        out: { type: 'string' },
        'cpu-prof-dir': { type: 'string' },
      },
    }),
  );
  if (values.help) return undefined;
  const whole = (min: number, max: number) => ({ min, max, integer: true });
  const sizes = fleetSizes(values.fleet ?? '100,1000,10000');
  const settings: BenchSettings = {
    scenarios: scenarioNames(values.scenarios),
    warmup: numberFlag('--warmup', values.warmup, 50, whole(0, 100_000)),
    iterations: numberFlag('--iterations', values.iterations, 500, whole(1, 1_000_000)),
    confirmations: numberFlag('--confirmations', values.confirmations, 40, whole(1, 10_000)),
    pollIntervalMs: numberFlag('--poll-interval-ms', values['poll-interval-ms'], 200, whole(10, 60_000)),
    fleetSizes: sizes,
    fleetConcurrency: numberFlag('--fleet-concurrency', values['fleet-concurrency'], 64, whole(1, 1000)),
    fleetProcesses: numberFlag('--fleet-processes', values['fleet-processes'], 2, whole(1, 64)),
    fleetStore: fleetStore(values['fleet-store']),
    fileStoreFleet: numberFlag('--file-store-fleet', values['file-store-fleet'], 1000, whole(0, 100_000)),
    stormDevices: numberFlag(
      '--storm-devices',
      values['storm-devices'],
      sizes.length > 0 ? Math.max(...sizes) : 1000,
      whole(1, 100_000),
    ),
    throughputDevices: numberFlag(
      '--throughput-devices',
      values['throughput-devices'],
      100,
      whole(1, 10_000),
    ),
    inFlight: numberFlag('--in-flight', values['in-flight'], 64, whole(1, 1000)),
    throughputSeconds: numberFlag('--throughput-seconds', values['throughput-seconds'], 10, {
      min: 1,
      max: 600,
    }),
    out: values.out ?? defaultOut,
    ...(values['cpu-prof-dir'] ? { cpuProfDir: values['cpu-prof-dir'] } : {}),
  };
  if (settings.inFlight > settings.throughputDevices) {
    throw usageError('--in-flight must not exceed --throughput-devices (no device takes two calls at once)');
  }
  return settings;
}

function fleetStore(text: string | undefined): FleetStore {
  if (text === undefined || text === 'memory') return 'memory';
  if (text === 'file') return 'file';
  throw usageError(`--fleet-store must be memory or file, got "${text}"`);
}

function fleetSizes(text: string): number[] {
  if (text.trim() === '') return [];
  return text
    .split(',')
    .map((part) => numberFlag('--fleet', part.trim(), 0, { min: 1, max: 100_000, integer: true }));
}

function scenarioNames(text: string | undefined): ScenarioName[] {
  if (text === undefined) return [...SCENARIOS];
  const wanted = text.split(',').map((part) => part.trim());
  for (const name of wanted) {
    if (!(SCENARIOS as readonly string[]).includes(name)) {
      throw usageError(`--scenarios: unknown scenario "${name}" (known: ${SCENARIOS.join(', ')})`);
    }
  }
  return SCENARIOS.filter((name) => wanted.includes(name));
}
