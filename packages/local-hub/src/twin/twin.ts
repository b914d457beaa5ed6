import { TwinPatchError } from './errors';
import { TWIN_LIMITS, utf8Bytes } from './limits';
import { mergeWithMetadata } from './merge';
import type { JsonObject, PropertySet, TwinRecord, TwinSection } from './types';
import { SECTION_PATH } from './validate';

/** A new device's twin: empty sections, every version at 1 (as IoT Hub starts them). */
export function createTwin(deviceId: string, now: Date, moduleId?: string): TwinRecord {
  const version = 1;
  return {
    deviceId,
    ...(moduleId === undefined ? {} : { moduleId }),
    etag: etagFor(version),
    version,
    tags: {},
    desired: { values: {}, version, metadata: stampFor('desired', now, version) },
    reported: { values: {}, version, metadata: stampFor('reported', now, version) },
  };
}

/**
 * Applies a merge patch (already checked by `validateTwinPatch`) to one section and returns the new twin.
 * Every successful write bumps the twin `version`/`etag` and, for desired/reported, the section `$version`
 * — even a patch that changes nothing (e.g. deleting a missing key), as IoT Hub does.
 * @throws TwinPatchError `TooLarge` when the resulting section exceeds its size limit.
 */
export function applyTwinPatch(
  twin: TwinRecord,
  section: TwinSection,
  patch: JsonObject,
  now: Date,
): TwinRecord {
  if (section === 'tags') {
    const merged = mergeWithMetadata(twin.tags, {}, patch, {});
    return withTags(twin, merged.values);
  }
  const current = twin[section];
  const version = current.version + 1;
  const merged = mergeWithMetadata(current.values, current.metadata, patch, stampFor(section, now, version));
  return withPropertySet(twin, section, { values: merged.values, version, metadata: merged.metadata });
}

/**
 * Replaces all of tags or desired properties (REST `PUT /twins/{id}`), with the same limits and bookkeeping
 * as a patch; every node counts as updated. `null` members are dropped, as a patch onto nothing would.
 * @throws TwinPatchError `TooLarge` when `value` exceeds the section's size limit.
 */
export function replaceTwinSection(
  twin: TwinRecord,
  section: 'tags' | 'desired',
  value: JsonObject,
  now: Date,
): TwinRecord {
  if (section === 'tags') {
    return withTags(twin, mergeWithMetadata({}, {}, value, {}).values);
  }
  const version = twin.desired.version + 1;
  const merged = mergeWithMetadata({}, {}, value, stampFor('desired', now, version));
  return withPropertySet(twin, 'desired', { values: merged.values, version, metadata: merged.metadata });
}

function withTags(twin: TwinRecord, tags: JsonObject): TwinRecord {
  assertWithinLimit('tags', tags);
  return { ...twin, ...nextTwinVersion(twin), tags };
}

function withPropertySet(twin: TwinRecord, section: 'desired' | 'reported', set: PropertySet): TwinRecord {
  assertWithinLimit(section, set.values);
  return { ...twin, ...nextTwinVersion(twin), [section]: set };
}

function nextTwinVersion(twin: TwinRecord): Pick<TwinRecord, 'version' | 'etag'> {
  const version = twin.version + 1;
  return { version, etag: etagFor(version) };
}

function assertWithinLimit(section: TwinSection, values: JsonObject): void {
  const limit = TWIN_LIMITS.sectionBytes[section];
  const bytes = utf8Bytes(JSON.stringify(values));
  if (bytes > limit) {
    throw new TwinPatchError(
      'TooLarge',
      `${SECTION_PATH[section]} would be ${bytes} bytes; the limit is ${limit} bytes`,
    );
  }
}

/** `$metadata` entries written on every node a write touches. Only desired tracks `$lastUpdatedVersion`. */
function stampFor(section: 'desired' | 'reported', now: Date, version: number): JsonObject {
  const lastUpdated = now.toISOString();
  return section === 'desired'
    ? { $lastUpdated: lastUpdated, $lastUpdatedVersion: version }
    : { $lastUpdated: lastUpdated };
}

/** Same form as IoT Hub's etags (base64 of the 64-bit version, e.g. `AAAAAAAAAAI=`): deterministic, opaque. */
function etagFor(version: number): string {
  const bytes = Buffer.alloc(8);
  bytes.writeBigUInt64BE(BigInt(version));
  return bytes.toString('base64');
}
