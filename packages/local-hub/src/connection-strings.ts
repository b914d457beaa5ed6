/** `HostName=…;SharedAccessKeyName=…;SharedAccessKey=…;GatewayHostName=<host>:<port>` for a policy. */
export function serviceConnectionString(
  hostName: string,
  policy: string,
  key: string,
  gateway: { host: string; port: number },
): string {
  return `HostName=${hostName};SharedAccessKeyName=${policy};SharedAccessKey=${key};GatewayHostName=${formatHost(gateway)}`;
}

/** `HostName=…;DeviceId=…;SharedAccessKey=…;GatewayHostName=<host>:<port>`: the device SDK dials the gateway. */
export function deviceConnectionString(
  hostName: string,
  deviceId: string,
  key: string,
  gateway: { host: string; port: number },
): string {
  return `HostName=${hostName};DeviceId=${deviceId};SharedAccessKey=${key};GatewayHostName=${formatHost(gateway)}`;
}

function formatHost({ host, port }: { host: string; port: number }): string {
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
