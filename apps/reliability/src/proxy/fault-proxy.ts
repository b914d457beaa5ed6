import { once } from 'node:events';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import pino, { type Logger } from 'pino';
import { checkLatency, type Direction, type LinkMode, type LinkState, newLink, planChunk } from './link-plan';

/** Options of {@link startFaultProxy}. */
export interface FaultProxyOptions {
  /** Where every accepted connection is forwarded (e.g. the hub's MQTT port on 127.0.0.1). */
  target: { host: string; port: number };
  /** Port to listen on, 127.0.0.1; default 0 (a free port). */
  port?: number;
  /** Latency given to new connections; default 0. */
  latencyMs?: number;
  logger?: Logger;
}

/** A TCP proxy whose live connections can be slowed, stalled, half-opened or reset on command. */
export interface FaultProxy {
  readonly port: number;
  /** Connections accepted so far (live or not): a reconnect shows as a new one. */
  readonly accepted: number;
  /** Ids of the live connections, oldest first. */
  connectionIds(): number[];
  /** Resolves once `accepted` reaches `count`. */
  whenAccepted(count: number): Promise<void>;
  /** Sets the latency of the given (default: all live) connections and of new ones when none are given. */
  setLatency(latencyMs: number, ids?: readonly number[]): void;
  /** Stops forwarding both ways, keeping both sockets open. */
  drop(ids?: readonly number[]): void;
  /** Stops forwarding `blocked` traffic only, never closing. */
  halfOpen(blocked: Direction, ids?: readonly number[]): void;
  /** Forwards again (latency kept). */
  heal(ids?: readonly number[]): void;
  /** Destroys both sockets with a TCP RST, as a crashed middlebox would. */
  reset(ids?: readonly number[]): void;
  /** Resets every live connection. */
  cutAll(): void;
  /** Stops listening and resets every connection. */
  close(): Promise<void>;
}

interface Link {
  readonly id: number;
  readonly client: Socket;
  readonly upstream: Socket;
  state: LinkState;
  readonly lines: Record<Direction, DelayLine>;
}

/** Chunks due at given times, written in order by one timer. */
class DelayLine {
  private readonly queue: { dueMs: number; chunk: Buffer }[] = [];
  private timer: NodeJS.Timeout | undefined;
  constructor(private readonly out: Socket) {}

  push(dueMs: number, chunk: Buffer): void {
    if (this.queue.length === 0 && dueMs <= Date.now()) {
      this.out.write(chunk);
      return;
    }
    this.queue.push({ dueMs, chunk });
    this.arm();
  }

  clear(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.queue.length = 0;
  }

  private arm(): void {
    if (this.timer !== undefined) return;
    const head = this.queue[0];
    if (!head) return;
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        const now = Date.now();
        while (this.queue[0] && this.queue[0].dueMs <= now) {
          const next = this.queue.shift();
          if (next && !this.out.destroyed) this.out.write(next.chunk);
        }
        this.arm();
      },
      Math.max(0, head.dueMs - Date.now()),
    );
  }
}

/** Starts a fault-injecting TCP proxy on 127.0.0.1 in front of `options.target`. */
export async function startFaultProxy(options: FaultProxyOptions): Promise<FaultProxy> {
  const logger = (options.logger ?? pino({ level: 'silent' })).child({ component: 'fault-proxy' });
  let defaultLatency = checkLatency(options.latencyMs ?? 0);
  const links = new Map<number, Link>();
  let accepted = 0;
  const acceptWaiters = new Set<{ count: number; resolve: () => void }>();

  const server: Server = createServer((client) => {
    accepted += 1;
    const id = accepted;
    const upstream = createConnection(options.target);
    const link: Link = {
      id,
      client,
      upstream,
      state: newLink(defaultLatency),
      lines: { upstream: new DelayLine(upstream), downstream: new DelayLine(client) },
    };
    links.set(id, link);
    const forward = (direction: Direction) => (chunk: Buffer) => {
      const { plan, state } = planChunk(link.state, direction, Date.now());
      link.state = state;
      if (plan.action === 'deliver') link.lines[direction].push(plan.dueMs, chunk);
    };
    client.on('data', forward('upstream'));
    upstream.on('data', forward('downstream'));
    // A close on one side is passed on as a close (FIN, or RST when it was a reset) on the other.
    const end = (err?: Error) => {
      if (!links.delete(id)) return;
      link.lines.upstream.clear();
      link.lines.downstream.clear();
      if (err) logger.debug({ id, err }, 'proxied connection failed');
      client.destroy();
      upstream.destroy();
    };
    for (const socket of [client, upstream]) {
      socket.on('error', end);
      socket.on('close', () => end());
    }
    logger.debug({ id }, 'connection accepted');
    for (const waiter of acceptWaiters) {
      if (accepted >= waiter.count) {
        acceptWaiters.delete(waiter);
        waiter.resolve();
      }
    }
  });
  server.listen(options.port ?? 0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('fault proxy: no TCP address');

  const selected = (ids?: readonly number[]): Link[] =>
    ids === undefined ? [...links.values()] : ids.flatMap((id) => links.get(id) ?? []);
  const setMode = (mode: LinkMode, ids?: readonly number[]) => {
    for (const link of selected(ids)) link.state = { ...link.state, mode };
    logger.debug({ mode, ids }, 'mode set');
  };
  const reset = (ids?: readonly number[]) => {
    for (const link of selected(ids)) {
      link.client.resetAndDestroy();
      link.upstream.resetAndDestroy();
    }
  };

  return {
    port: address.port,
    get accepted() {
      return accepted;
    },
    connectionIds: () => [...links.keys()],
    whenAccepted: (count) =>
      accepted >= count ? Promise.resolve() : new Promise((resolve) => acceptWaiters.add({ count, resolve })),
    setLatency: (latencyMs, ids) => {
      checkLatency(latencyMs);
      if (ids === undefined) defaultLatency = latencyMs;
      for (const link of selected(ids)) link.state = { ...link.state, latencyMs };
    },
    drop: (ids) => setMode({ kind: 'drop' }, ids),
    halfOpen: (blocked, ids) => setMode({ kind: 'half-open', blocked }, ids),
    heal: (ids) => setMode({ kind: 'pass' }, ids),
    reset,
    cutAll: () => reset(),
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      reset();
      await closed;
    },
  };
}
