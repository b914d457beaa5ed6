import { createRequire } from 'node:module';

// azure-iot-device and azure-iot-device-mqtt are not (yet) dependencies of this package, and the
// lockfile cannot be changed from here: load them from the local hub's own dev dependencies.
const requireFromLocalHub = createRequire(require.resolve('@iothub-reboot/local-hub/package.json'));

/** The slice of azure-iot-device's Client these tests use. */
export interface DeviceClient {
  setOptions(options: { ca: string }): Promise<unknown>;
  open(): Promise<unknown>;
  getTwin(): Promise<{
    properties: { reported: { update(patch: unknown, done: (err?: Error) => void): void } };
  }>;
  close(): Promise<unknown>;
}

const { Client } = requireFromLocalHub('azure-iot-device') as {
  Client: { fromConnectionString(cs: string, transport: unknown): DeviceClient };
};
const { Mqtt } = requireFromLocalHub('azure-iot-device-mqtt') as { Mqtt: unknown };

/** Opens a real device client (MQTT over TLS, `ca` trusted). */
export async function openDevice(connectionString: string, ca: string): Promise<DeviceClient> {
  const client = Client.fromConnectionString(connectionString, Mqtt);
  await client.setOptions({ ca });
  await client.open();
  return client;
}

/** Writes a reported-properties patch and resolves once the hub acknowledged it. */
export async function reportProperties(client: DeviceClient, patch: unknown): Promise<void> {
  const twin = await client.getTwin();
  await new Promise<void>((resolve, reject) =>
    twin.properties.reported.update(patch, (err) => (err ? reject(err) : resolve())),
  );
}
