import { Client } from 'azure-iot-device';
import { Mqtt } from 'azure-iot-device-mqtt';

/** Opens a real device client (MQTT over TLS, `ca` trusted). */
export async function openDevice(connectionString: string, ca: string): Promise<Client> {
  const client = Client.fromConnectionString(connectionString, Mqtt);
  await client.setOptions({ ca });
  await client.open();
  return client;
}

/** Writes a reported-properties patch and resolves once the hub acknowledged it. */
export async function reportProperties(client: Client, patch: unknown): Promise<void> {
  const twin = await client.getTwin();
  await new Promise<void>((resolve, reject) =>
    twin.properties.reported.update(patch, (err?: Error) => (err ? reject(err) : resolve())),
  );
}
