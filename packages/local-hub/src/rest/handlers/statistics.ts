import type { RestContext, RestResponse } from './context';

/** GET /statistics/devices: `Registry.getRegistryStatistics()`. */
export function deviceStatistics(ctx: RestContext): RestResponse {
  const devices = ctx.registry.list();
  const enabled = devices.filter((device) => device.status === 'enabled').length;
  return {
    status: 200,
    body: {
      totalDeviceCount: devices.length,
      enabledDeviceCount: enabled,
      disabledDeviceCount: devices.length - enabled,
    },
  };
}

/** GET /statistics/service: how many devices are connected now. */
export function serviceStatistics(ctx: RestContext): RestResponse {
  const connected = ctx.registry.list().filter((device) => ctx.sessions.isConnected(device.deviceId));
  return { status: 200, body: { connectedDeviceCount: connected.length } };
}
