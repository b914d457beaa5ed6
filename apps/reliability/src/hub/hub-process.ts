import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';
import pino, { type Logger } from 'pino';

/** Options of {@link startHubProcess}. */
export interface HubProcessOptions {
  dataDir: string;
  /** Fixed ports, so devices reconnect to the same place after a restart (see {@link freePorts}). */
  mqttPort: number;
  httpsPort: number;
  /** Receives the hub's output lines at debug level. */
  logger?: Logger;
}

/** The local hub CLI (`apps/local-hub`) running in its own process, so it can be killed like a crash. */
export interface HubProcess {
  readonly pid: number;
  /** Resolves with the exit code, or 128 + signal number. */
  readonly exited: Promise<number>;
  /** Resident set size of the hub process in bytes (Linux `/proc`). */
  rssBytes(): Promise<number>;
  /** SIGKILL: no shutdown hook runs, as in a power cut. */
  kill(): Promise<number>;
  /** SIGTERM: the hub closes connections and flushes state. */
  stop(): Promise<number>;
}

/** Thrown when the hub process exits before it is ready, or RSS cannot be read. */
export class HubProcessError extends Error {
  override readonly name = 'HubProcessError';
}

const READY_LINE = /Local IoT Hub is ready/;

/** Starts `local-hub start` on the given ports and data directory; resolves once it is ready. */
export async function startHubProcess(options: HubProcessOptions): Promise<HubProcess> {
  const logger = (options.logger ?? pino({ level: 'silent' })).child({ component: 'hub-process' });
  const script = require.resolve('@iothub-reboot/local-hub-app/dist/main.js');
  const child: ChildProcess = spawn(
    process.execPath,
    [
      script,
      'start',
      '--data-dir',
      options.dataDir,
      '--mqtt-port',
      String(options.mqttPort),
      '--https-port',
      String(options.httpsPort),
      '--log-level',
      'warn',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } },
  );
  const exited = new Promise<number>((resolve) => {
    child.once('exit', (code, signal) => resolve(code ?? (signal === 'SIGKILL' ? 137 : 143)));
  });
  const ready = new Promise<void>((resolve, reject) => {
    for (const stream of [child.stdout, child.stderr]) {
      if (!stream) continue;
      createInterface({ input: stream }).on('line', (line) => {
        logger.debug({ line }, 'hub output');
        if (READY_LINE.test(line)) resolve();
      });
    }
    void exited.then((code) =>
      reject(new HubProcessError(`the hub exited with code ${code} before it was ready`)),
    );
  });
  await ready;
  const pid = child.pid;
  if (pid === undefined) throw new HubProcessError('the hub process has no pid');
  const signal = (name: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(name);
    return exited;
  };
  return {
    pid,
    exited,
    rssBytes: () => readRss(pid),
    kill: () => signal('SIGKILL'),
    stop: () => signal('SIGTERM'),
  };
}

async function readRss(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => {
    throw new HubProcessError('cannot read the hub process RSS (Linux /proc needed)');
  });
  const match = /^VmRSS:\s+(\d+)\s+kB$/m.exec(status);
  if (!match?.[1]) throw new HubProcessError('no VmRSS line for the hub process');
  return Number(match[1]) * 1024;
}

/** Ports free on 127.0.0.1 right now (the OS picks them), for servers that must keep their port across restarts. */
export async function freePorts(count: number): Promise<number[]> {
  const servers = Array.from({ length: count }, () => createServer());
  try {
    return await Promise.all(
      servers.map(async (server) => {
        server.listen(0, '127.0.0.1');
        await once(server, 'listening');
        const address = server.address();
        if (address === null || typeof address === 'string') throw new HubProcessError('no TCP address');
        return address.port;
      }),
    );
  } finally {
    await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  }
}
