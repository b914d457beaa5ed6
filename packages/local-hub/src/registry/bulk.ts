import { HubError, type HubErrorName } from '../errors';
import type { DeviceInput, DeviceRegistry } from './devices';
import type { ServiceTwinUpdate, TwinRegistry } from './twins';

/** IoT Hub's per-call limit of a bulk registry operation. */
export const BULK_MAX_DEVICES = 100;

/** What one entry asks for (IoT Hub's `importMode`, read case-insensitively as the service does). */
export type BulkMode =
  | 'create'
  | 'createOrUpdate'
  | 'createOrUpdateIfMatchETag'
  | 'update'
  | 'updateIfMatchETag'
  | 'updateTwin'
  | 'updateTwinIfMatchETag'
  | 'delete'
  | 'deleteIfMatchETag';

export const BULK_MODES: readonly BulkMode[] = [
  'create',
  'createOrUpdate',
  'createOrUpdateIfMatchETag',
  'update',
  'updateIfMatchETag',
  'updateTwin',
  'updateTwinIfMatchETag',
  'delete',
  'deleteIfMatchETag',
];

/** One validated entry of the request body (an ExportImportDevice). */
export interface BulkEntry {
  deviceId: string;
  mode: BulkMode;
  /** The device's etag, for the `…IfMatchETag` identity modes. */
  eTag?: string;
  /** The twin's etag, for `updateTwinIfMatchETag`. */
  twinETag?: string;
  device: DeviceInput;
  /** Twin data: replaces the twin's tags and desired properties when present. */
  twin: ServiceTwinUpdate;
}

/** The body IoT Hub answers a bulk registry request with (200 when every entry succeeded, else 400). */
export interface BulkResult {
  isSuccessful: boolean;
  errors: { deviceId: string; errorCode: HubErrorName; errorStatus: string }[];
  warnings: { deviceId: string; warningCode: string; warningStatus: string }[];
}

/**
 * Applies up to {@link BULK_MAX_DEVICES} registry operations, each on its own device: one failing does
 * not undo or stop the others, and each failure is reported by device. The entries run concurrently, so
 * their writes are group-committed by the store.
 */
export async function applyBulkOperations(
  deps: { registry: DeviceRegistry; twins: TwinRegistry },
  entries: readonly BulkEntry[],
): Promise<BulkResult> {
  if (entries.length === 0) throw new HubError('ArgumentInvalid', 'The bulk request lists no devices.');
  if (entries.length > BULK_MAX_DEVICES) {
    throw new HubError(
      'TooManyDevices',
      `A bulk registry request may list at most ${BULK_MAX_DEVICES} devices; this one lists ${entries.length}.`,
    );
  }
  const seen = new Set<string>();
  for (const { deviceId } of entries) {
    if (seen.has(deviceId)) {
      throw new HubError(
        'DeviceDefinedMultipleTimes',
        `Device ${JSON.stringify(deviceId)} is listed more than once in the bulk request.`,
      );
    }
    seen.add(deviceId);
  }
  const settled = await Promise.allSettled(entries.map((entry) => applyEntry(deps, entry)));
  const errors: BulkResult['errors'] = [];
  settled.forEach((outcome, index) => {
    if (outcome.status === 'fulfilled') return;
    const error = outcome.reason;
    // Anything but a HubError is a bug on our side: reported without its details.
    const hubError =
      error instanceof HubError
        ? error
        : new HubError('ServerError', 'The hub failed to apply this operation.');
    errors.push({
      deviceId: (entries[index] as BulkEntry).deviceId,
      errorCode: hubError.errorName,
      errorStatus: hubError.message,
    });
  });
  return { isSuccessful: errors.length === 0, errors, warnings: [] };
}

async function applyEntry(
  { registry, twins }: { registry: DeviceRegistry; twins: TwinRegistry },
  entry: BulkEntry,
): Promise<void> {
  const { deviceId, mode } = entry;
  // Bad twin data fails the entry before anything of it is applied.
  twins.checkServiceUpdate(entry.twin);
  // `*` unless the mode matches etags; asked for only where it is used (a create needs none).
  const deviceEtag = () => (mode.endsWith('IfMatchETag') ? requireEtag(entry.eTag, 'eTag', mode) : '*');
  switch (mode) {
    case 'create':
      await registry.create(deviceId, entry.device);
      return replaceTwinData(twins, deviceId, entry.twin, '*');
    case 'createOrUpdate':
    case 'createOrUpdateIfMatchETag':
      if (registry.get(deviceId) === undefined) await registry.create(deviceId, entry.device);
      else await registry.update(deviceId, entry.device, deviceEtag());
      return replaceTwinData(twins, deviceId, entry.twin, '*');
    case 'update':
    case 'updateIfMatchETag':
      await registry.update(deviceId, entry.device, deviceEtag());
      return replaceTwinData(twins, deviceId, entry.twin, '*');
    case 'updateTwin':
      return replaceTwinData(twins, deviceId, entry.twin, '*');
    case 'updateTwinIfMatchETag':
      return replaceTwinData(twins, deviceId, entry.twin, requireEtag(entry.twinETag, 'twinETag', mode));
    case 'delete':
    case 'deleteIfMatchETag':
      return registry.remove(deviceId, deviceEtag());
  }
}

async function replaceTwinData(
  twins: TwinRegistry,
  deviceId: string,
  twin: ServiceTwinUpdate,
  ifMatch: string,
): Promise<void> {
  if (twin.tags === undefined && twin.properties?.desired === undefined) {
    // Still a not-found for updateTwin of a missing device.
    twins.require(deviceId);
    return;
  }
  await twins.replaceFromService(deviceId, twin, ifMatch);
}

function requireEtag(etag: string | undefined, field: string, mode: BulkMode): string {
  if (etag === undefined || etag === '') {
    throw new HubError('ArgumentInvalid', `importMode ${mode} needs the ${field} to match.`);
  }
  return etag;
}
