import { type ChildProcess, fork } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { HubChildMessage, HubParentMessage } from './hub-messages';

/** A local hub running in its own process. */
export interface HubProcess {
  mqttPort: number;
  httpsPort: number;
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

/** Starts the in-memory hub in a child process; rejects if it exits before it is ready. */
export async function startHubProcess(options: { cpuProfDir?: string } = {}): Promise<HubProcess> {
  const dir = await mkdtemp(join(tmpdir(), 'bench-hub-'));
  const child = fork(join(__dirname, 'hub-child.js'), [dir], {
    execArgv: ['--expose-gc', ...cpuProfArgs(options.cpuProfDir)],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = once(child, 'exit').then(([code]) => {
    throw new Error(`the hub process exited (code ${String(code)})`);
  });
  exited.catch(() => undefined);
  const ready = await Promise.race([nextMessage(child, 'ready'), exited]);
  const caPem = await readFile(ready.caFile, 'utf8');
  return {
    mqttPort: ready.mqttPort,
    httpsPort: ready.httpsPort,
    caFile: ready.caFile,
    caPem,
    serviceConnectionString: ready.serviceConnectionString,
    rss: async () => {
      const answer = nextMessage(child, 'rss');
      send(child, { type: 'rss' });
      return (await Promise.race([answer, exited])).rss;
    },
    close: async () => {
      const gone = once(child, 'exit');
      send(child, { type: 'close' });
      await gone;
      await rm(dir, { recursive: true, force: true });
    },
  };
}

function send(child: ChildProcess, message: HubParentMessage): void {
  child.send(message);
}

function nextMessage<T extends HubChildMessage['type']>(
  child: ChildProcess,
  type: T,
): Promise<Extract<HubChildMessage, { type: T }>> {
  return new Promise((resolve) => {
    const onMessage = (message: HubChildMessage) => {
      if (message.type !== type) return;
      child.off('message', onMessage);
      resolve(message as Extract<HubChildMessage, { type: T }>);
    };
    child.on('message', onMessage);
  });
}
