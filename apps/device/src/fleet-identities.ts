import { mapSettledWithLimit } from '@iothub-reboot/app-kit';
import type { Registry } from 'azure-iothub';

/** A simulated fleet's member: its identity and the key it authenticates with. */
export interface FleetIdentity {
  deviceId: string;
  primaryKey: string;
  site: string;
}

/** What the fleet looks like. */
export interface FleetShape {
  count: number;
  idPrefix: string;
  /** Devices are spread round-robin over `site-0` … `site-<sites-1>` (the `tags.site` of their twins). */
  sites: number;
}

const REGISTRY_CONCURRENCY = 16;

/** The ids of a fleet: `<prefix><index>`, zero-padded so they sort in order. */
export function fleetDeviceIds(shape: Pick<FleetShape, 'count' | 'idPrefix'>): string[] {
  const width = String(Math.max(0, shape.count - 1)).length;
  return Array.from({ length: shape.count }, (_, i) => `${shape.idPrefix}${String(i).padStart(width, '0')}`);
}

/**
 * Makes sure every device of the fleet exists in the hub's registry (created when missing) with the tags
 * `{ simulator: <prefix>, site: 'site-<k>' }`, so twin queries such as `tags.site = 'site-1'` select a part
 * of it. Existing devices keep their keys.
 */
export async function ensureFleetIdentities(registry: Registry, shape: FleetShape): Promise<FleetIdentity[]> {
  const ids = fleetDeviceIds(shape);
  const settled = await mapSettledWithLimit(ids, REGISTRY_CONCURRENCY, async (deviceId, index) => {
    const site = `site-${index % shape.sites}`;
    const primaryKey = (await existingKey(registry, deviceId)) ?? (await createdKey(registry, deviceId));
    await registry.updateTwin(deviceId, { tags: { simulator: shape.idPrefix, site } }, '*');
    return { deviceId, primaryKey, site };
  });
  const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  return settled.map((r) => (r as PromiseFulfilledResult<FleetIdentity>).value);
}

async function existingKey(registry: Registry, deviceId: string): Promise<string | undefined> {
  try {
    const { responseBody } = await registry.get(deviceId);
    return keyOf(responseBody, deviceId);
  } catch (err) {
    if ((err as Error).name === 'DeviceNotFoundError') return undefined;
    throw err;
  }
}

async function createdKey(registry: Registry, deviceId: string): Promise<string> {
  const { responseBody } = await registry.create({ deviceId });
  return keyOf(responseBody, deviceId);
}

function keyOf(
  device: { authentication?: { symmetricKey?: { primaryKey?: string } } },
  deviceId: string,
): string {
  const key = device.authentication?.symmetricKey?.primaryKey;
  if (!key) throw new Error(`device ${deviceId} has no symmetric key (X.509 devices cannot be simulated)`);
  return key;
}
