/** Where clients dial the hub: the host it listens on and a port. */
export interface Gateway {
  host: string;
  port: number;
}

/** The ports real IoT Hub serves: MQTT over TLS, and HTTPS (REST, AMQP and MQTT over WebSockets). */
export const IOT_HUB_PORTS = { mqtt: 8883, https: 443 } as const;

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

/**
 * Whether a client that dials `hostName` on `standardPort` reaches the hub listening at `gateway`: then a
 * connection string needs no `GatewayHostName`, and is IoT Hub's plain form, which every SDK takes as is.
 * Real IoT Hub strings never carry one, and the Python device SDK reads it as an IoT Edge gateway host name
 * (a `host:port` value then fails to resolve).
 */
export function reachesDirectly(hostName: string, gateway: Gateway, standardPort: number): boolean {
  if (gateway.port !== standardPort) return false;
  return hostName === gateway.host || (hostName === 'localhost' && LOOPBACK.has(gateway.host));
}

/** `HostName=…;SharedAccessKeyName=…;SharedAccessKey=…`, plus `GatewayHostName=<host>:<port>` unless HTTPS is on 443. */
export function serviceConnectionString(
  hostName: string,
  policy: string,
  key: string,
  gateway: Gateway,
): string {
  return withGateway(
    `HostName=${hostName};SharedAccessKeyName=${policy};SharedAccessKey=${key}`,
    hostName,
    gateway,
    IOT_HUB_PORTS.https,
  );
}

/**
 * An X.509 device's `HostName=…;DeviceId=…;x509=true` (the SDK then takes certificate and key from
 * `setOptions({ cert, key })`), plus `GatewayHostName=<host>:<port>` unless MQTT is on 8883.
 */
export function x509DeviceConnectionString(hostName: string, deviceId: string, gateway: Gateway): string {
  return withGateway(
    `HostName=${hostName};DeviceId=${deviceId};x509=true`,
    hostName,
    gateway,
    IOT_HUB_PORTS.mqtt,
  );
}

/** `HostName=…;DeviceId=…;SharedAccessKey=…`, plus `GatewayHostName=<host>:<port>` unless MQTT is on 8883. */
export function deviceConnectionString(
  hostName: string,
  deviceId: string,
  key: string,
  gateway: Gateway,
): string {
  return withGateway(
    `HostName=${hostName};DeviceId=${deviceId};SharedAccessKey=${key}`,
    hostName,
    gateway,
    IOT_HUB_PORTS.mqtt,
  );
}

/**
 * A module's `HostName=…;DeviceId=…;ModuleId=…;SharedAccessKey=…` (what `ModuleClient.fromConnectionString`
 * takes), plus `GatewayHostName=<host>:<port>` unless MQTT is on 8883.
 */
export function moduleConnectionString(
  hostName: string,
  deviceId: string,
  moduleId: string,
  key: string,
  gateway: Gateway,
): string {
  return withGateway(
    `HostName=${hostName};DeviceId=${deviceId};ModuleId=${moduleId};SharedAccessKey=${key}`,
    hostName,
    gateway,
    IOT_HUB_PORTS.mqtt,
  );
}

function withGateway(base: string, hostName: string, gateway: Gateway, standardPort: number): string {
  return reachesDirectly(hostName, gateway, standardPort)
    ? base
    : `${base};GatewayHostName=${formatHost(gateway)}`;
}

function formatHost({ host, port }: Gateway): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** A device connection string for a local hub on this machine (gateway 127.0.0.1 unless told otherwise). */
export function formatDeviceConnectionString(options: {
  hostName: string;
  deviceId: string;
  key: string;
  mqttPort: number;
  gatewayHost?: string;
}): string {
  return deviceConnectionString(options.hostName, options.deviceId, options.key, {
    host: options.gatewayHost ?? '127.0.0.1',
    port: options.mqttPort,
  });
}
