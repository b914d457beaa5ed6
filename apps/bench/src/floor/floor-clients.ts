import { once } from 'node:events';
import { type TLSSocket, connect as tlsConnect } from 'node:tls';
import mqtt, { type MqttClient } from 'mqtt';
import type { FloorClient } from '../floors';
import { BROKER_REQUEST_TOPIC, BROKER_RESPONSE_TOPIC, type FloorKeyType } from './floor-servers';

/** Where a floor server listens and the CA that signed its certificate. */
export interface TlsEndpoint {
  port: number;
  caPem: string;
}

/** A payload the size of a small twin GET reply, so the echo moves as many bytes as a round trip does. */
const ECHO_BYTES = 128;

function connectTls(endpoint: TlsEndpoint): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({
      host: '127.0.0.1',
      port: endpoint.port,
      ca: endpoint.caPem,
      servername: 'localhost',
    });
    socket.once('secureConnect', () => {
      socket.off('error', reject);
      resolve(socket);
    });
    socket.once('error', reject);
  });
}

/** Bare TLS: one connection, `ECHO_BYTES` out, the same back. What loopback TLS and Node cost. */
export async function openEchoFloor(endpoint: TlsEndpoint): Promise<FloorClient> {
  const socket = await connectTls(endpoint);
  socket.setNoDelay(true);
  const payload = Buffer.alloc(ECHO_BYTES, 0x61);
  let waiting: { remaining: number; resolve: () => void; reject: (err: Error) => void } | undefined;
  socket.on('data', (chunk: Buffer) => {
    if (!waiting) return;
    waiting.remaining -= chunk.length;
    if (waiting.remaining <= 0) {
      const done = waiting;
      waiting = undefined;
      done.resolve();
    }
  });
  socket.on('error', (err) => waiting?.reject(err));
  return {
    roundTrip: () =>
      new Promise<void>((resolve, reject) => {
        waiting = { remaining: ECHO_BYTES, resolve, reject };
        socket.write(payload);
      }),
    close: async () => {
      socket.destroy();
    },
  };
}

/**
 * A broker with no hub logic: an mqtt.js client publishes on its request topic and waits for the broker's
 * per-client answer, the same QoS 0 publish→reply shape as the hub's twin GET floor.
 */
export async function openBrokerFloor(endpoint: TlsEndpoint): Promise<FloorClient> {
  const client: MqttClient = mqtt.connect({
    protocol: 'mqtts',
    host: '127.0.0.1',
    port: endpoint.port,
    ca: endpoint.caPem,
    servername: 'localhost',
    protocolVersion: 4,
    clientId: `bench-floor-${process.pid}`,
    reconnectPeriod: 0,
  });
  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => resolve());
    client.once('error', reject);
  });
  await client.subscribeAsync(`${BROKER_RESPONSE_TOPIC}#`, { qos: 0 });
  const waiting = new Map<string, () => void>();
  client.on('message', (topic) => {
    const rid = topic.slice(BROKER_RESPONSE_TOPIC.length);
    const resolve = waiting.get(rid);
    if (!resolve) return;
    waiting.delete(rid);
    resolve();
  });
  let next = 0;
  return {
    roundTrip: () =>
      new Promise<void>((resolve, reject) => {
        const rid = String(next++);
        waiting.set(rid, resolve);
        client.publish(`${BROKER_REQUEST_TOPIC}${rid}`, ' ', { qos: 0 }, (err) => {
          if (err) {
            waiting.delete(rid);
            reject(err);
          }
        });
      }),
    close: () => client.endAsync(),
  };
}

/** A handshake floor: how many of its handshakes resumed a session. */
export interface HandshakeFloor extends FloorClient {
  resumed(): number;
  /** Handshakes made, warm-up included (the count `resumed()` is out of). */
  handshakes(): number;
}

/**
 * One TLS handshake per round trip (a new connection), closed once it is secure: what each device connect
 * pays before MQTT starts. With `resume`, the session ticket of the previous handshake is offered, as a
 * reconnecting client that kept it would; `resumed()` says how many the server accepted.
 */
export function openHandshakeFloor(endpoint: TlsEndpoint, options: { resume: boolean }): HandshakeFloor {
  let session: Buffer | undefined;
  let resumed = 0;
  let handshakes = 0;
  return {
    roundTrip: async () => {
      handshakes++;
      const socket = tlsConnect({
        host: '127.0.0.1',
        port: endpoint.port,
        ca: endpoint.caPem,
        servername: 'localhost',
        ...(options.resume && session ? { session } : {}),
      });
      // TLS 1.3 sends its ticket after the handshake: listen from the start, wait for it when resuming.
      const ticket = new Promise<Buffer>((resolve) => socket.once('session', resolve));
      // A paused socket never reads the ticket record.
      socket.resume();
      await new Promise<void>((resolve, reject) => {
        socket.once('secureConnect', () => resolve());
        socket.once('error', reject);
      });
      // A resumed session brings no new ticket (OpenSSL): the one offered stays good.
      if (socket.isSessionReused()) resumed++;
      else if (options.resume) session = await withinMs(ticket, 5000, 'no TLS session ticket within 5 s');
      socket.destroy();
    },
    close: async () => undefined,
    resumed: () => resumed,
    handshakes: () => handshakes,
  };
}

function withinMs<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** The key type of the certificate a TLS server presents, so the floor's handshake costs the same. */
export async function serverKeyType(endpoint: { port: number; caPem: string }): Promise<FloorKeyType> {
  const socket = tlsConnect({
    host: '127.0.0.1',
    port: endpoint.port,
    ca: endpoint.caPem,
    servername: 'localhost',
  });
  try {
    await once(socket, 'secureConnect');
    return socket.getPeerX509Certificate()?.publicKey.asymmetricKeyType === 'ec' ? 'ec' : 'rsa';
  } finally {
    socket.destroy();
  }
}
