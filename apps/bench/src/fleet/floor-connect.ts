/**
 * The connect floor, run by a fleet worker before its SDK devices connect: as many connections as it
 * will have devices, opened under the same adaptive limit and held until the bench has read the floor
 * server's memory with all of them up, to a server
 * of the independent floor (no hub logic). `tls`: bare TLS handshakes to the echo server. `mqtt`: what
 * the device SDK's connect puts on the wire (the SDK's own mqtt.js: MQTT 3.1.1 CONNECT, clean session
 * false, keep-alive 180 s, then the one SUBSCRIBE of `onDeviceMethod`) to the bare aedes broker. Set
 * against the SDK fleet's connect, they split it into TLS and the machine, MQTT brokering, and the rest
 * (the hub's own work and the SDK's).
 */
import { type SecureContext, connect as tlsConnect } from 'node:tls';
import { AdaptiveLimit, forEachAdaptive } from './adaptive-limit';
import type { ConnectFloorKind } from './messages';

/** An mqtt.js module's `connect`, as far as the floor uses it (the SDK's own copy is passed in). */
export interface MqttConnect {
  connect(url: string, options: object): MqttFloorClient;
}

interface MqttFloorClient {
  once(event: 'connect', listener: () => void): unknown;
  once(event: 'error' | 'close', listener: (err?: Error) => void): unknown;
  subscribe(topic: string, options: { qos: 0 }, done: (err?: Error | null) => void): unknown;
  end(force: boolean, options: object, done: () => void): unknown;
}

/** Floor connections held open, so the floor server's memory can be read with all of them up. */
export interface HeldFloorConnections {
  /** Each connection's `Date.now()` once it was up. */
  connectedAt: number[];
  close(): Promise<void>;
}

/** Opens `count` floor connections and holds them; on a failure closes those opened and rejects. */
export async function floorConnect(options: {
  kind: ConnectFloorKind;
  port: number;
  count: number;
  secureContext: SecureContext;
  mqtt: MqttConnect;
  clientIdPrefix: string;
}): Promise<HeldFloorConnections> {
  const { kind, port, secureContext } = options;
  const connectedAt: number[] = [];
  const closers: Array<() => Promise<void>> = [];
  const limiter = new AdaptiveLimit({ initial: 50, min: 16, max: 400 });
  const indices = Array.from({ length: options.count }, (_, i) => i);
  const close = async () => {
    await Promise.allSettled(closers.map((closeOne) => closeOne()));
  };
  try {
    await forEachAdaptive(indices, limiter, async (i) => {
      if (kind === 'tls') {
        const socket = tlsConnect({ host: '127.0.0.1', port, servername: 'localhost', secureContext });
        closers.push(async () => void socket.destroy());
        await new Promise<void>((resolve, reject) => {
          socket.once('secureConnect', resolve);
          socket.once('error', reject);
        });
      } else {
        const client = options.mqtt.connect(`mqtts://127.0.0.1:${port}`, {
          secureContext,
          servername: 'localhost',
          protocolId: 'MQTT',
          protocolVersion: 4,
          clientId: `${options.clientIdPrefix}${i}`,
          clean: false,
          keepalive: 180,
          reconnectPeriod: 0,
          connectTimeout: 60_000,
        });
        closers.push(() => new Promise((resolve) => client.end(true, {}, resolve)));
        await new Promise<void>((resolve, reject) => {
          client.once('connect', () =>
            client.subscribe('floor/methods/POST/#', { qos: 0 }, (err) => (err ? reject(err) : resolve())),
          );
          client.once('error', reject);
          client.once('close', () => reject(new Error('the floor broker closed the connection')));
        });
      }
      connectedAt.push(Date.now());
    });
  } catch (err) {
    await close();
    throw err;
  }
  return { connectedAt, close };
}
