import { createServiceClients, type ServiceClients } from '@iothub-reboot/service-connection';
import { Client as DeviceClient } from 'azure-iot-device';
import { Mqtt } from 'azure-iot-device-mqtt';
import type { LocalHubOptions } from '../config';
import { type LocalHub, startLocalHub } from '../hub';

/** A hub on free ports with service clients, and device clients that are all closed by `close()`. */
export interface TestHub {
  hub: LocalHub;
  service: ServiceClients;
  /** An SDK device client (MQTT, hub CA trusted), not yet opened. */
  deviceClient(connectionString: string): Promise<DeviceClient>;
  /** Creates the device and opens an SDK client for it. */
  connectDevice(deviceId: string): Promise<DeviceClient>;
  close(): Promise<void>;
}

export async function startTestHub(options: LocalHubOptions = {}): Promise<TestHub> {
  const hub = await startLocalHub({ inMemory: true, mqttPort: 0, httpsPort: 0, ...options });
  const service = createServiceClients(hub.serviceConnectionString(), { ca: hub.caPem });
  const devices: DeviceClient[] = [];
  const deviceClient = async (connectionString: string) => {
    const client = DeviceClient.fromConnectionString(connectionString, Mqtt);
    await client.setOptions({ ca: hub.caPem });
    devices.push(client);
    return client;
  };
  return {
    hub,
    service,
    deviceClient,
    async connectDevice(deviceId) {
      const device =
        hub.listDevices().find((d) => d.deviceId === deviceId) ?? (await hub.createDevice(deviceId));
      const client = await deviceClient(device.connectionString);
      await client.open();
      return client;
    },
    async close() {
      await Promise.allSettled(devices.map((d) => d.close()));
      await service.close();
      await hub.close();
    },
  };
}
