import { Agent, request } from 'node:https';
import { SharedAccessSignature } from 'azure-iot-common';
import mqtt, { type MqttClient } from 'mqtt';
import type { DeviceEndpoint, Identity } from './devices';

/** One request/response round trip of a floor. */
export interface FloorClient {
  roundTrip(): Promise<void>;
  close(): Promise<void>;
}

const TOKEN_LIFETIME_S = 3600;

/**
 * The MQTT floor: a bare mqtt.js client, authenticated as a device, publishing a twin GET and waiting for
 * the hub's reply on the same TLS connection. It is the least a direct method's device leg can cost.
 */
export async function openMqttFloor(endpoint: DeviceEndpoint, identity: Identity): Promise<FloorClient> {
  const { deviceId, primaryKey } = identity;
  const client: MqttClient = mqtt.connect({
    protocol: 'mqtts',
    host: '127.0.0.1',
    port: endpoint.mqttPort,
    ca: endpoint.caPem,
    servername: 'localhost',
    protocolVersion: 4,
    clientId: deviceId,
    clean: false,
    reconnectPeriod: 0,
    username: `${endpoint.hostName}/${deviceId}/?api-version=2021-04-12`,
    // The device SDK's own signing (azure-iot-common), so the floor's password is exactly the SDK's.
    password: SharedAccessSignature.create(
      `${endpoint.hostName}/devices/${deviceId}`,
      '',
      primaryKey,
      Math.floor(Date.now() / 1000) + TOKEN_LIFETIME_S,
    ).toString(),
  });
  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => resolve());
    client.once('error', reject);
  });
  await client.subscribeAsync('$iothub/twin/res/#', { qos: 0 });
  const waiting = new Map<string, { resolve: () => void; reject: (err: Error) => void }>();
  client.on('message', (topic) => {
    const match = /^\$iothub\/twin\/res\/(\d+)\/\?\$rid=([^&]+)/.exec(topic);
    const waiter = match?.[2] === undefined ? undefined : waiting.get(match[2]);
    if (!match || !waiter) return;
    waiting.delete(match[2] as string);
    if (match[1] === '200') waiter.resolve();
    else waiter.reject(new Error(`the hub answered the floor's twin GET with ${match[1]}`));
  });
  let next = 0;
  return {
    roundTrip: () =>
      new Promise<void>((resolve, reject) => {
        const rid = String(next++);
        waiting.set(rid, { resolve, reject });
        client.publish(`$iothub/twin/GET/?$rid=${rid}`, ' ', { qos: 0 }, (err) => {
          if (err) {
            waiting.delete(rid);
            reject(err);
          }
        });
      }),
    close: () => client.endAsync(),
  };
}

/**
 * The HTTPS floor: a keep-alive GET of `/health` on one reused TLS connection (the hub's trivial route, or
 * the independent floor's bare HTTPS server, which answers any path).
 */
export function openHttpsFloor(endpoint: { httpsPort: number; caPem: string }): FloorClient {
  const agent = new Agent({ keepAlive: true, maxSockets: 1, ca: endpoint.caPem });
  return {
    roundTrip: () =>
      new Promise<void>((resolve, reject) => {
        const req = request(
          { host: '127.0.0.1', port: endpoint.httpsPort, path: '/health', agent, servername: 'localhost' },
          (res) => {
            res.resume();
            res.on('end', () =>
              res.statusCode === 200 ? resolve() : reject(new Error(`/health answered ${res.statusCode}`)),
            );
            res.on('error', reject);
          },
        );
        req.on('error', reject);
        req.end();
      }),
    close: async () => agent.destroy(),
  };
}
