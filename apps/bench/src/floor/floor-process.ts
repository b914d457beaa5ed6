import { fork } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import type { FloorKeyType } from './floor-servers';

/** The independent floor's servers, running in their own process. */
export interface FloorProcess {
  pid: number | undefined;
  caPem: string;
  echoPort: number;
  brokerPort: number;
  httpsPort: number;
  /** The process's memory after a full GC (needs `--expose-gc` in `execArgv`). */
  memory(): Promise<{ rss: number; heapUsed: number; external: number }>;
  stop(): Promise<void>;
}

interface Ready {
  type: 'ready';
  caPem: string;
  echoPort: number;
  brokerPort: number;
  httpsPort: number;
}

/** Forks the floor process (profiled with `execArgv` when given) and waits until it listens. */
export async function startFloorProcess(
  keyType: FloorKeyType,
  execArgv: string[] = [],
): Promise<FloorProcess> {
  const child = fork(join(__dirname, 'floor-process-main.js'), [keyType], {
    execArgv,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = once(child, 'exit');
  const ready = await Promise.race([
    new Promise<Ready>((resolve) => {
      const onMessage = (message: { type?: string }) => {
        if (message.type !== 'ready') return;
        child.off('message', onMessage);
        resolve(message as Ready);
      };
      child.on('message', onMessage);
    }),
    exited.then(([code]) => {
      throw new Error(`the floor process exited before it listened (code ${String(code)})`);
    }),
  ]);
  return {
    pid: child.pid,
    caPem: ready.caPem,
    echoPort: ready.echoPort,
    brokerPort: ready.brokerPort,
    httpsPort: ready.httpsPort,
    memory: () =>
      new Promise((resolve) => {
        const onMessage = (message: { type?: string; rss: number; heapUsed: number; external: number }) => {
          if (message.type !== 'memory') return;
          child.off('message', onMessage);
          resolve({ rss: message.rss, heapUsed: message.heapUsed, external: message.external });
        };
        child.on('message', onMessage);
        child.send({ type: 'memory' });
      }),
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.send({ type: 'stop' });
      await exited;
    },
  };
}
