import type { Client } from 'azure-iot-device';

/** Writes a reported-properties patch and resolves once the hub acknowledged it. */
export async function reportProperties(client: Client, patch: unknown): Promise<void> {
  const twin = await client.getTwin();
  await new Promise<void>((resolve, reject) =>
    twin.properties.reported.update(patch, (err?: Error) => (err ? reject(err) : resolve())),
  );
}
