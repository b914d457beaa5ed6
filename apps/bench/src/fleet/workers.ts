import { type ChildProcess, fork } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import type { ConnectFloorKind, FleetStore, WorkerMessage, WorkerRequest } from './messages';

/** The simulated fleet, spread over worker processes and driven through one control channel. */
export interface FleetWorkers {
  /** The worker processes' ids, in order. */
  pids: Array<number | undefined>;
  /** `Date.now()` when the workers, loaded, were told to connect. */
  connectStartedAt: number;
  /** Each device's connect time (`Date.now()`), over every worker. */
  connectedAt: number[];
  /** The adaptive connect limit each worker ended with. */
  finalLimits: number[];
  /** The answer times (`Date.now()`) every worker noted since the last call. */
  takeAnsweredAt(): Promise<number[]>;
  /** Answer times and reconnects (`[deviceId, Date.now()]`) every worker noted since the last call. */
  takeEvents(): Promise<{ answeredAt: number[]; reconnected: Array<[string, number]> }>;
  /** Closes every device and waits for the workers to exit. */
  stop(): Promise<void>;
}

/** Options of {@link startFleetWorkers}. */
export interface FleetWorkerOptions {
  processes: number;
  identities: ReadonlyArray<{ deviceId: string; primaryKey: string }>;
  hostName: string;
  mqttPort: number;
  caPem: string;
  store: FleetStore;
  stateDir: string;
  /** Node.js flags of each worker, e.g. `--cpu-prof`. */
  execArgv?: string[];
  /** A method every device also answers 200 at once, with no work. */
  zeroWorkMethod?: string;
}

const MAIN = join(__dirname, 'worker-main.js');

function nextMessage<T extends WorkerMessage['type']>(
  child: ChildProcess,
  type: T,
): Promise<Extract<WorkerMessage, { type: T }>> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: WorkerMessage) => {
      if (message.type === 'failed') {
        cleanup();
        reject(new Error(`a fleet worker failed: ${message.message}`));
      } else if (message.type === type) {
        cleanup();
        resolve(message as Extract<WorkerMessage, { type: T }>);
      }
    };
    const onExit = (code: number | null) => {
      cleanup();
      reject(new Error(`a fleet worker exited (code ${String(code)}) while the bench waited for "${type}"`));
    };
    const cleanup = () => {
      child.off('message', onMessage);
      child.off('exit', onExit);
    };
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}

/** A connect floor's target: a server of the independent floor and the CA of its certificate. */
export interface ConnectFloorTarget {
  kind: ConnectFloorKind;
  port: number;
  caPem: string;
}

/** The workers, loaded (SDKs imported, OS looked up), before any device connects. */
export interface LoadedFleetWorkers {
  pids: Array<number | undefined>;
  /** How many devices (and floor connections) the workers have between them. */
  connections: number;
  /**
   * Runs a connect floor: as many connections as there are identities, spread like the devices. Resolves
   * once all are up, with the time from the start to the last one up; they stay open until `close`.
   */
  floorConnect(target: ConnectFloorTarget): Promise<{ connectMs: number; close(): Promise<void> }>;
  /** Connects every device; resolves once every device of every worker is connected. */
  connect(): Promise<FleetWorkers>;
  /** Closes every device and waits for the workers to exit. */
  stop(): Promise<void>;
}

/**
 * Forks `processes` workers and resolves once each has loaded; the identities are dealt out round-robin
 * when they connect. A worker failing to load stops them all and rejects.
 */
export async function forkFleetWorkers(options: FleetWorkerOptions): Promise<LoadedFleetWorkers> {
  const count = Math.max(1, Math.min(options.processes, options.identities.length));
  const children = Array.from({ length: count }, () =>
    fork(MAIN, [], { execArgv: options.execArgv ?? [], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }),
  );
  // Listening before anything can arrive: a worker may load before the next one is forked.
  const loaded = children.map((child) => nextMessage(child, 'loaded'));
  const send = (child: ChildProcess, message: WorkerRequest) => child.send(message);
  const share = (w: number) => options.identities.filter((_, i) => i % count === w);
  const stop = async () => {
    await Promise.all(
      children.map(async (child) => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        const exited = once(child, 'exit');
        if (child.connected) send(child, { type: 'stop' });
        else child.kill('SIGTERM');
        await exited;
      }),
    );
  };
  try {
    await Promise.all(loaded);
  } catch (err) {
    for (const pending of loaded) pending.catch(() => undefined);
    await stop();
    throw err;
  }
  const takeEvents = async () => {
    const answers = await Promise.all(
      children.map((child) => {
        const answer = nextMessage(child, 'events');
        send(child, { type: 'events' });
        return answer;
      }),
    );
    return {
      answeredAt: answers.flatMap((a) => a.answeredAt),
      reconnected: answers.flatMap((a) => a.reconnected),
    };
  };
  return {
    pids: children.map((child) => child.pid),
    connections: options.identities.length,
    floorConnect: async (target) => {
      const startedAt = Date.now();
      const done = await Promise.all(
        children.map((child, w) => {
          const answer = nextMessage(child, 'floor-connected');
          send(child, { type: 'floor-connect', ...target, count: share(w).length });
          return answer;
        }),
      );
      return {
        connectMs: Math.max(...done.flatMap((d) => d.connectedAt)) - startedAt,
        close: async () => {
          await Promise.all(
            children.map((child) => {
              const closed = nextMessage(child, 'floor-closed');
              send(child, { type: 'floor-close' });
              return closed;
            }),
          );
        },
      };
    },
    connect: async () => {
      const connectStartedAt = Date.now();
      const connected = await Promise.all(
        children.map((child, w) => {
          const answer = nextMessage(child, 'connected');
          send(child, {
            type: 'start',
            hostName: options.hostName,
            mqttPort: options.mqttPort,
            caPem: options.caPem,
            identities: share(w),
            store: options.store,
            stateDir: options.stateDir,
            ...(options.zeroWorkMethod === undefined ? {} : { zeroWorkMethod: options.zeroWorkMethod }),
          });
          return answer;
        }),
      );
      return {
        pids: children.map((child) => child.pid),
        connectStartedAt,
        connectedAt: connected.flatMap((c) => c.connectedAt),
        finalLimits: connected.map((c) => c.finalLimit),
        takeAnsweredAt: async () => (await takeEvents()).answeredAt,
        takeEvents,
        stop,
      };
    },
    stop,
  };
}

/** Forks the workers and connects every device ({@link forkFleetWorkers}, then `connect`). */
export async function startFleetWorkers(options: FleetWorkerOptions): Promise<FleetWorkers> {
  const workers = await forkFleetWorkers(options);
  try {
    return await workers.connect();
  } catch (err) {
    await workers.stop();
    throw err;
  }
}
