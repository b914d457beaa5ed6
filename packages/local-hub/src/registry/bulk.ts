import { HubError, type HubErrorName } from '../errors';
import type { DeviceInput, DeviceRegistry } from './devices';
import type { ServiceTwinUpdate, TwinRegistry } from './twins';

/** IoT Hub's per-call limit of a bulk registry operation. */
export const BULK_MAX_DEVICES = 100;

/** What an entry asks for: IoT Hub's `importMode` values (read case-insensitively, as the service does). */
export const BULK_MODES = [
  'create',
  'createOrUpdate',
  'createOrUpdateIfMatchETag',
  'update',
  'updateIfMatchETag',
  'updateTwin',
  'updateTwinIfMatchETag',
  'delete',
  'deleteIfMatchETag',
] as const;

export type BulkMode = (typeof BULK_MODES)[number];

/** One validated entry of the request body (an ExportImportDevice). */
export interface BulkEntry {
  deviceId: string;
  mode: BulkMode;
  /** The device's etag, for the `…IfMatchETag` identity modes. */
  eTag?: string;
  /** The twin's etag, for `updateTwinIfMatchETag`. */
  twinETag?: string | undefined;
  device: DeviceInput;
  /** Twin data: replaces the twin's tags and desired properties when present (on create: their start). */
  twin: ServiceTwinUpdate;
  /** Set when the entry itself is unusable (say, an unsupported auth type): it fails alone. */
  invalid?: HubError;
}

/** The body IoT Hub answers a bulk registry request with (200 when every entry succeeded, else 400). */
export interface BulkResult {
  isSuccessful: boolean;
  errors: { deviceId: string; errorCode: HubErrorName; errorStatus: string }[];
  warnings: { deviceId: string; warningCode: string; warningStatus: string }[];
}

/** What the bulk operation works on; `onUnexpected` hears of failures that are bugs or I/O errors. */
export interface BulkDeps {
  registry: DeviceRegistry;
  twins: TwinRegistry;
  onUnexpected?: (err: unknown, deviceId: string) => void;
}

/**
 * Applies up to {@link BULK_MAX_DEVICES} registry operations, each on its own device: one failing does
 * not undo or stop the others, and each failure is reported by device. The entries run concurrently, so
 * their writes are group-committed by the store.
 */
export async function applyBulkOperations(
  deps: BulkDeps,
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
    const { deviceId } = entries[index] as BulkEntry;
    // Anything but a HubError is a bug or an I/O failure on our side: logged, reported without details.
    if (!(error instanceof HubError)) deps.onUnexpected?.(error, deviceId);
    const hubError =
      error instanceof HubError
        ? error
        : new HubError('ServerError', 'The hub failed to apply this operation.');
    errors.push({
      deviceId,
      errorCode: hubError.errorName,
      errorStatus: hubError.message,
    });
  });
  return { isSuccessful: errors.length === 0, errors, warnings: [] };
}

async function applyEntry({ registry, twins }: BulkDeps, entry: BulkEntry): Promise<void> {
  const { deviceId, mode } = entry;
  if (entry.invalid) throw entry.invalid;
  // Twin data that could not be applied (bad shape, over a size limit) fails the entry before any write.
  twins.checkReplacement(deviceId, entry.twin);
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
