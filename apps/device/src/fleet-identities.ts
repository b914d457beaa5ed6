import { randomBytes } from 'node:crypto';
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

/** IoT Hub takes at most 100 devices per bulk registry call. */
const BULK_SIZE = 100;
const BULK_CONCURRENCY = 4;
const REGISTRY_CONCURRENCY = 16;

/** The ids of a fleet: `<prefix><index>`, zero-padded so they sort in order. */
export function fleetDeviceIds(shape: Pick<FleetShape, 'count' | 'idPrefix'>): string[] {
  const width = String(Math.max(0, shape.count - 1)).length;
  return Array.from({ length: shape.count }, (_, i) => `${shape.idPrefix}${String(i).padStart(width, '0')}`);
}

/**
 * Makes sure every device of the fleet exists in the hub's registry with the tags
 * `{ simulator: <prefix>, site: 'site-<k>' }`, so twin queries such as `tags.site = 'site-1'` select a part
 * of it. Missing devices are created 100 per bulk call (`Registry.addDevices`, keys made here, tags as the
 * twin's initial tags); devices that already exist keep their keys and get their tags set one by one.
 */
export async function ensureFleetIdentities(registry: Registry, shape: FleetShape): Promise<FleetIdentity[]> {
  const wanted = fleetDeviceIds(shape).map((deviceId, index) => ({
    deviceId,
    site: `site-${index % shape.sites}`,
  }));
  const chunks = Array.from({ length: Math.ceil(wanted.length / BULK_SIZE) }, (_, i) =>
    wanted.slice(i * BULK_SIZE, (i + 1) * BULK_SIZE),
  );
  const created = settledValues(
    await mapSettledWithLimit(chunks, BULK_CONCURRENCY, (chunk) => createMissing(registry, shape, chunk)),
  ).flat();
  const keys = new Map(created.map((identity) => [identity.deviceId, identity]));
  const existing = wanted.filter(({ deviceId }) => !keys.has(deviceId));
  const adopted = settledValues(
    await mapSettledWithLimit(existing, REGISTRY_CONCURRENCY, async ({ deviceId, site }) => {
      const { responseBody } = await registry.get(deviceId);
      await registry.updateTwin(deviceId, { tags: { simulator: shape.idPrefix, site } }, '*');
      return { deviceId, primaryKey: keyOf(responseBody, deviceId), site };
    }),
  );
  for (const identity of adopted) keys.set(identity.deviceId, identity);
  return wanted.map(({ deviceId }) => keys.get(deviceId) as FleetIdentity);
}

/**
 * Creates the devices of `chunk` in one bulk call; resolves with those created. A device refused because
 * it already exists is left out (the caller adopts it); any other refusal fails the call.
 */
async function createMissing(
  registry: Registry,
  shape: FleetShape,
  chunk: readonly { deviceId: string; site: string }[],
): Promise<FleetIdentity[]> {
  const identities = chunk.map(({ deviceId, site }) => ({
    deviceId,
    site,
    primaryKey: randomBytes(32).toString('base64'),
  }));
  const devices = identities.map(({ deviceId, site, primaryKey }) => ({
    deviceId,
    authentication: { symmetricKey: { primaryKey, secondaryKey: randomBytes(32).toString('base64') } },
    // An ExportImportDevice field the service applies to the new twin; not in the SDK's type.
    tags: { simulator: shape.idPrefix, site },
  }));
  try {
    await registry.addDevices(devices);
    return identities;
  } catch (err) {
    const failures = bulkFailures(err);
    if (failures === undefined) throw err;
    const notExisting = failures.filter((f) => !isAlreadyExists(f.errorCode));
    const first = notExisting[0];
    if (first !== undefined) {
      throw new Error(
        `the hub refused to create ${notExisting.length} simulated device(s); first: ${first.deviceId}: ${String(first.errorCode)} ${first.errorStatus ?? ''}`.trim(),
      );
    }
    const exists = new Set(failures.map((f) => f.deviceId));
    return identities.filter(({ deviceId }) => !exists.has(deviceId));
  }
}

interface BulkFailure {
  deviceId: string;
  errorCode: unknown;
  errorStatus?: string;
}

/** The per-device failures of a bulk call that the service answered with its result body (400). */
function bulkFailures(err: unknown): BulkFailure[] | undefined {
  const body = (err as { responseBody?: unknown }).responseBody;
  if (typeof body !== 'string') return undefined;
  try {
    const parsed = JSON.parse(body) as { isSuccessful?: unknown; errors?: unknown };
    if (parsed.isSuccessful !== false || !Array.isArray(parsed.errors)) return undefined;
    return parsed.errors as BulkFailure[];
  } catch {
    return undefined;
  }
}

// IoT Hub documents the code by name; some services send its number.
function isAlreadyExists(code: unknown): boolean {
  return code === 'DeviceAlreadyExists' || code === 409001 || code === '409001';
}

function settledValues<T>(results: readonly PromiseSettledResult<T>[]): T[] {
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  return results.map((r) => (r as PromiseFulfilledResult<T>).value);
}

function keyOf(
  device: { authentication?: { symmetricKey?: { primaryKey?: string } } },
  deviceId: string,
): string {
  const key = device.authentication?.symmetricKey?.primaryKey;
  if (!key) throw new Error(`device ${deviceId} has no symmetric key (X.509 devices cannot be simulated)`);
  return key;
}
