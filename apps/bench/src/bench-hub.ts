import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  freePorts,
  type HubProcess,
  type HubProcessMemory,
  startHubProcess,
} from '@iothub-reboot/local-hub/testing';

/** The bench's hub: in a process of its own, so its memory and CPU are measured apart. */
export interface BenchHub {
  mqttPort: number;
  httpsPort: number;
  /** The hub's CA on disk, for the simulator process's `--ca`. */
  caFile: string;
  caPem: string;
  serviceConnectionString: string;
  /** Resident set size of the hub's process after a full GC, in bytes. */
  rss(): Promise<number>;
  /** The hub processes so far (a restart starts another). */
  readonly pids: readonly number[];
  /** RSS with its JavaScript heap and external parts, after a full GC. */
  memory(): Promise<HubProcessMemory>;
  /**
   * Stops the hub process (connections closed, state flushed) and starts a new one on the same data
   * directory and ports, so devices reconnect to the same place with the same identities. Only for a
   * hub started with `durable: true`; resolves with when the old process had exited and when the new
   * one listened.
   */
  restart(): Promise<HubRestart>;
  close(): Promise<void>;
}

/** When a {@link BenchHub.restart} got past each of its steps (`Date.now()`). */
export interface HubRestart {
  /** The old process has closed every connection, flushed its state and exited. */
  stoppedAt: number;
  /** The new process has loaded that state and listens on the same ports. */
  listeningAt: number;
}

/** Node.js flags that write a CPU profile into `dir` when the process exits. */
export function cpuProfArgs(dir: string | undefined): string[] {
  return dir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${dir}`];
}

/**
 * Starts the hub process (profiled into `cpuProfDir` when given): in memory, or with `durable` on a file
 * store in a temporary data directory and on fixed free ports, which {@link BenchHub.restart} keeps.
 */
export async function startBenchHub(
  options: { cpuProfDir?: string; durable?: boolean } = {},
): Promise<BenchHub> {
  const dir = await mkdtemp(join(tmpdir(), 'bench-hub-'));
  const execArgv = cpuProfArgs(options.cpuProfDir);
  const durable = options.durable
    ? await (async () => {
        const [mqttPort, httpsPort] = (await freePorts(2)) as [number, number];
        return { dataDir: join(dir, 'data'), mqttPort, httpsPort };
      })()
    : undefined;
  let hub: HubProcess = await startHubProcess({ ...durable, execArgv }).catch(async (err: unknown) => {
    await rm(dir, { recursive: true, force: true });
    throw err;
  });
  const pids = [hub.pid];
  const caFile = join(dir, 'ca.pem');
  const caPem = hub.caPem;
  await writeFile(caFile, caPem);
  const { serviceConnectionString } = hub;
  return {
    mqttPort: hub.mqttPort,
    httpsPort: hub.httpsPort,
    caFile,
    caPem,
    serviceConnectionString,
    pids,
    rss: () => hub.rssBytes(),
    memory: () => hub.memory(),
    restart: async () => {
      if (durable === undefined) throw new Error('restart needs a hub started with durable: true');
      const code = await hub.stop();
      if (code !== 0) throw new Error(`the hub process exited ${code} when told to stop`);
      const stoppedAt = Date.now();
      hub = await startHubProcess({ ...durable, execArgv });
      pids.push(hub.pid);
      const listeningAt = Date.now();
      // Devices trust the CA they were given: a restarted hub must serve a certificate from the same one.
      if (hub.caPem !== caPem) throw new Error('the restarted hub came up with another CA');
      if (hub.serviceConnectionString !== serviceConnectionString) {
        throw new Error('the restarted hub came up with other policy keys or ports');
      }
      return { stoppedAt, listeningAt };
    },
    close: async () => {
      await hub.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
