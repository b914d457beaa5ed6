import { connectAsync, type IConnackPacket, type MqttClient } from 'mqtt';
import { createSasToken } from '../auth/sas';
import type { LocalHub } from '../hub';

/** How a raw client reaches the hub: MQTT over TLS, or MQTT over WebSockets on the HTTPS port. */
export type RawTransport = 'mqtts' | 'wss';

/** The URL a raw client dials for `transport`. */
export function rawUrl(hub: LocalHub, transport: RawTransport): string {
  return transport === 'mqtts'
    ? `mqtts://127.0.0.1:${hub.mqttPort}`
    : `wss://127.0.0.1:${hub.httpsPort}/$iothub/websocket`;
}

/** A raw mqtt.js connection for what the SDK cannot express (foreign topics, forged tokens). */
export async function connectRaw(
  hub: LocalHub,
  deviceId: string,
  password: string,
  options: { clean?: boolean; transport?: RawTransport } = {},
): Promise<MqttClient> {
  return connectAsync(rawUrl(hub, options.transport ?? 'mqtts'), {
    ca: hub.caPem,
    clientId: deviceId,
    username: `${hub.hostName}/${deviceId}/?api-version=2021-04-12`,
    password,
    protocolVersion: 4,
    clean: options.clean ?? false,
    reconnectPeriod: 0,
  });
}

/** A device SAS token signed with `key`, valid for `seconds` (negative: already expired). */
export function deviceToken(hub: LocalHub, deviceId: string, key: string, seconds = 3600): string {
  return createSasToken(`${hub.hostName}/devices/${deviceId}`, key, Math.floor(Date.now() / 1000) + seconds);
}

/** The CONNACK return code of a refused connection. */
export async function connackCode(connecting: Promise<MqttClient>): Promise<number | undefined> {
  try {
    const client = await connecting;
    await client.endAsync();
    return 0;
  } catch (err) {
    return (err as { code?: number }).code;
  }
}

export type { IConnackPacket };

/**
 * Raw MQTT device connections to `hub` over `transport` (each device created on first use), all ended by
 * `closeAll`: the fixture of the isolation suites.
 */
export function rawDevices(hub: () => LocalHub, transport: RawTransport = 'mqtts') {
  const open: MqttClient[] = [];
  return {
    connect: async (deviceId: string): Promise<MqttClient> => {
      const h = hub();
      const device = h.listDevices().find((d) => d.deviceId === deviceId) ?? (await h.createDevice(deviceId));
      const client = await connectRaw(h, deviceId, deviceToken(h, deviceId, device.primaryKey), {
        transport,
      });
      open.push(client);
      return client;
    },
    closeAll: () => Promise.all(open.splice(0).map((c) => c.endAsync(true))),
  };
}
