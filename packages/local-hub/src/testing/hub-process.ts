import { type ChildProcess, fork } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import type {
  HubProcessMemory,
  HubProcessMessage,
  HubProcessRequest,
  HubProcessStart,
} from './hub-process-messages';

export type { HubProcessMemory } from './hub-process-messages';

/** Options of {@link startHubProcess}. */
export interface HubProcessOptions {
  /** State on disk there (what a restart reloads); in memory when absent. */
  dataDir?: string;
  /** Fixed ports let devices reconnect to the same place after a restart (see {@link freePorts}); 0 picks. */
  mqttPort?: number;
  httpsPort?: number;
  /** Node.js flags of the hub process, e.g. `--cpu-prof`; `--expose-gc` is always given. */
  execArgv?: string[];
}

/** A local hub in a process of its own. */
export interface HubProcess {
  readonly pid: number;
  readonly mqttPort: number;
  readonly httpsPort: number;
  /** PEM of the CA clients must trust. */
  readonly caPem: string;
  /** `iothubowner` connection string, with GatewayHostName pointing at the HTTPS port. */
  readonly serviceConnectionString: string;
  /** Resolves with the exit code, or 128 + the signal's number (137 after {@link kill}). */
  readonly exited: Promise<number>;
  /** The hub process's resident set size after a full garbage collection, in bytes. */
  rssBytes(): Promise<number>;
  /** RSS and its JavaScript heap and external parts after a full garbage collection, in bytes. */
  memory(): Promise<HubProcessMemory>;
  /** SIGKILL: no shutdown runs, as in a power cut. */
  kill(): Promise<number>;
  /** Closes the hub (connections closed, state flushed), then the process exits 0. */
  stop(): Promise<number>;
}

/** Thrown when the hub process exits before it is ready, or stops answering. */
export class HubProcessError extends Error {
  override readonly name = 'HubProcessError';
}

const SIGNALS: Partial<Record<NodeJS.Signals, number>> = { SIGKILL: 9, SIGTERM: 15, SIGINT: 2 };

// From the package's dist, also when this module itself runs from source (the package's own tests).
const MAIN = existsSync(join(__dirname, 'hub-process-main.js'))
  ? join(__dirname, 'hub-process-main.js')
  : join(__dirname, '..', '..', 'dist', 'testing', 'hub-process-main.js');

/** Starts a hub in its own process; resolves once it listens. */
export async function startHubProcess(options: HubProcessOptions = {}): Promise<HubProcess> {
  const start: HubProcessStart = {
    mqttPort: options.mqttPort ?? 0,
    httpsPort: options.httpsPort ?? 0,
    ...(options.dataDir === undefined ? {} : { dataDir: options.dataDir }),
  };
  const child = fork(MAIN, [JSON.stringify(start)], {
    execArgv: ['--expose-gc', ...(options.execArgv ?? [])],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = new Promise<number>((resolve) => {
    child.once('exit', (code, signal) => resolve(code ?? 128 + (SIGNALS[signal ?? 'SIGTERM'] ?? 15)));
  });
  const gone = exited.then((code) => {
    throw new HubProcessError(`the hub process exited (code ${code})`);
  });
  gone.catch(() => undefined);
  const ready = await Promise.race([nextMessage(child, 'ready'), gone]);
  const pid = child.pid;
  if (pid === undefined) throw new HubProcessError('the hub process has no pid');
  const memory = async (): Promise<HubProcessMemory> => {
    const answer = nextMessage(child, 'rss');
    send(child, { type: 'rss' });
    const { type: _type, ...figures } = await Promise.race([answer, gone]);
    return figures;
  };
  const alive = () => child.exitCode === null && child.signalCode === null;
  return {
    pid,
    mqttPort: ready.mqttPort,
    httpsPort: ready.httpsPort,
    caPem: ready.caPem,
    serviceConnectionString: ready.serviceConnectionString,
    exited,
    rssBytes: async () => (await memory()).rss,
    memory,
    kill: () => {
      if (alive()) child.kill('SIGKILL');
      return exited;
    },
    stop: () => {
      if (alive()) send(child, { type: 'stop' });
      return exited;
    },
  };
}

/** Ports free on 127.0.0.1 right now (the OS picks them), for a hub that must keep its ports across restarts. */
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

function send(child: ChildProcess, message: HubProcessRequest): void {
  child.send(message);
}

function nextMessage<T extends HubProcessMessage['type']>(
  child: ChildProcess,
  type: T,
): Promise<Extract<HubProcessMessage, { type: T }>> {
  return new Promise((resolve) => {
    const onMessage = (message: HubProcessMessage) => {
      if (message.type !== type) return;
      child.off('message', onMessage);
      resolve(message as Extract<HubProcessMessage, { type: T }>);
    };
    child.on('message', onMessage);
  });
}
