import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startHubProcess } from '@iothub-reboot/local-hub/testing';

/** The bench's hub: in memory, in a process of its own, so its memory and CPU are measured apart. */
export interface BenchHub {
  mqttPort: number;
  httpsPort: number;
  /** The hub's CA on disk, for the simulator process's `--ca`. */
  caFile: string;
  caPem: string;
  serviceConnectionString: string;
  /** Resident set size of the hub's process after a full GC, in bytes. */
  rss(): Promise<number>;
  close(): Promise<void>;
}

/** Node.js flags that write a CPU profile into `dir` when the process exits. */
export function cpuProfArgs(dir: string | undefined): string[] {
  return dir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${dir}`];
}

/** Starts the hub process (profiled into `cpuProfDir` when given). */
export async function startBenchHub(options: { cpuProfDir?: string } = {}): Promise<BenchHub> {
  const hub = await startHubProcess({ execArgv: cpuProfArgs(options.cpuProfDir) });
  const dir = await mkdtemp(join(tmpdir(), 'bench-hub-'));
  const caFile = join(dir, 'ca.pem');
  await writeFile(caFile, hub.caPem);
  return {
    mqttPort: hub.mqttPort,
    httpsPort: hub.httpsPort,
    caFile,
    caPem: hub.caPem,
    serviceConnectionString: hub.serviceConnectionString,
    rss: () => hub.rssBytes(),
    close: async () => {
      await hub.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
