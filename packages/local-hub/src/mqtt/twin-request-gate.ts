import { systemTimers, type Timers } from '../timers';

/**
 * Twin requests (GET, reported PATCH) one connection may have in flight: handled and not yet answered.
 * The same figure as the twin registry's per-device update slots, so an MQTT device never queues there.
 */
export const TWIN_REQUESTS_IN_FLIGHT = 16;
/**
 * Requests held per connection, beyond which they are answered 429. aedes 1.2.0 reads a connection's next
 * batch once every packet of the last one called its `done` (lib/client.js `nextBatch`), but also counts
 * each 'readable' event as a `done`, so it can read a little on while requests are held: up to 1,065
 * (~62 KB of tiny patches) were held at once in e2e/backpressure's sustained flood. This bounds the rest.
 */
export const TWIN_REQUESTS_HELD = 4096;
/** Longest a request is held when the client's keep-alive allows more (see {@link holdBoundMs}). */
export const TWIN_REQUEST_HOLD_MS = 10_000;

/** One twin request as the gate sees it. */
export interface GatedRequest {
  /** Handles the request; `answered` is called once its answer is written (or could not be). */
  start(answered: () => void): void;
  /** Answers the request 429 without handling it: it waited past the hold bound, or too many are held. */
  refuse(): void;
  /** Lets aedes read on: its `done` for the packet. An error means the packet was dropped, never handled. */
  proceed(error?: Error): void;
}

interface Held {
  request: GatedRequest;
  timer: unknown;
}

interface Connection {
  deviceId: string;
  inFlight: number;
  held: Held[];
  closed: boolean;
}

/**
 * The longest a request may be held for a client that sent `keepAliveSeconds` in its CONNECT. While a
 * packet is held aedes reads nothing more from that connection, PINGREQ included, and closes a connection
 * it has read nothing from for 1.5 × its keep-alive ([MQTT-3.1.2-24]); holding at most half the keep-alive
 * keeps a flooding client connected, its pings answered late but answered.
 */
export function holdBoundMs(keepAliveSeconds: number | undefined): number {
  if (!keepAliveSeconds || keepAliveSeconds <= 0) return TWIN_REQUEST_HOLD_MS;
  return Math.min(TWIN_REQUEST_HOLD_MS, keepAliveSeconds * 500);
}

/**
 * Backpressure on a connection that sends twin requests faster than the hub answers them. Up to
 * {@link TWIN_REQUESTS_IN_FLIGHT} run at once; the next ones are held, in order, with aedes' `done`, so the
 * hub stops reading that socket and TCP pushes back on the sender: its requests are slowed, neither lost
 * nor refused, and the hub does no work for it beyond its bound (cheap 429s answered at full read speed let
 * one device keep the event loop busy and stall everyone, issue #21 item 6). IoT Hub too "queues, then
 * answers 429" per device ("IoT Hub quotas and throttling"): a request held past its bound is answered 429
 * ThrottlingException, which the device SDK retries with backoff. Keyed by connection: a disconnect drops
 * that connection's held requests, unhandled, like the bytes still unread in its socket.
 */
export class TwinRequestGate<K extends object> {
  private readonly connections = new Map<K, Connection>();
  private heldWaiters: { deviceId: string; count: number; resolve: () => void }[] = [];

  constructor(
    private readonly limits: { inFlight: number; held: number } = {
      inFlight: TWIN_REQUESTS_IN_FLIGHT,
      held: TWIN_REQUESTS_HELD,
    },
    private readonly timers: Timers = systemTimers,
  ) {}

  /** Starts `request` now, or holds it until one of this connection's requests is answered. */
  submit(key: K, deviceId: string, request: GatedRequest, holdMs: number): void {
    let connection = this.connections.get(key);
    if (!connection) {
      connection = { deviceId, inFlight: 0, held: [], closed: false };
      this.connections.set(key, connection);
    }
    if (connection.held.length === 0 && connection.inFlight < this.limits.inFlight) {
      this.run(key, connection, request);
      return;
    }
    if (connection.held.length >= this.limits.held) {
      request.refuse();
      request.proceed();
      return;
    }
    const mine = connection;
    const entry: Held = { request, timer: undefined };
    entry.timer = this.timers.setTimeout(() => {
      const index = mine.held.indexOf(entry);
      if (index >= 0) mine.held.splice(index, 1);
      request.refuse();
      request.proceed();
    }, holdMs);
    mine.held.push(entry);
    this.notifyHeld(deviceId);
  }

  /** The connection is gone: its held requests are dropped (their `done` gets an error), never handled. */
  disconnected(key: K): void {
    const connection = this.connections.get(key);
    if (!connection) return;
    connection.closed = true;
    this.connections.delete(key);
    const error = new Error('The device disconnected.');
    for (const { request, timer } of connection.held.splice(0)) {
      this.timers.clearTimeout(timer);
      request.proceed(error);
    }
  }

  /** Requests held for this device's connections now. */
  held(deviceId: string): number {
    let count = 0;
    for (const connection of this.connections.values())
      if (connection.deviceId === deviceId) count += connection.held.length;
    return count;
  }

  /** Resolves once at least `count` of this device's requests are held (lets a test act mid-flood). */
  whenHeld(deviceId: string, count: number): Promise<void> {
    if (this.held(deviceId) >= count) return Promise.resolve();
    return new Promise((resolve) => this.heldWaiters.push({ deviceId, count, resolve }));
  }

  private run(key: K, connection: Connection, request: GatedRequest): void {
    connection.inFlight += 1;
    let answered = false;
    request.start(() => {
      if (answered) return;
      answered = true;
      connection.inFlight -= 1;
      this.next(key, connection);
    });
    request.proceed();
  }

  /** Starts held requests while the connection is under its bound; forgets an idle connection. */
  private next(key: K, connection: Connection): void {
    while (!connection.closed && connection.inFlight < this.limits.inFlight) {
      const entry = connection.held.shift();
      if (!entry) break;
      this.timers.clearTimeout(entry.timer);
      this.run(key, connection, entry.request);
    }
    if (connection.inFlight === 0 && connection.held.length === 0 && this.connections.get(key) === connection)
      this.connections.delete(key);
  }

  private notifyHeld(deviceId: string): void {
    if (this.heldWaiters.length === 0) return;
    const held = this.held(deviceId);
    const ready = this.heldWaiters.filter((w) => w.deviceId === deviceId && held >= w.count);
    if (ready.length === 0) return;
    this.heldWaiters = this.heldWaiters.filter((w) => !ready.includes(w));
    for (const waiter of ready) waiter.resolve();
  }
}
