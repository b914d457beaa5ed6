import { cloneJson, isJsonObject, ownValue, setOwn } from './json';
import type { JsonObject } from './types';

/** The values and `$metadata` of one object node after a merge. */
export interface MergedNode {
  values: JsonObject;
  metadata: JsonObject;
}

/**
 * JSON merge patch (RFC 7386, as IoT Hub applies it to twins) that also maintains the `$metadata` tree.
 * `null` deletes a key (deleting a missing key changes nothing), objects merge recursively, anything else
 * (arrays included) replaces. Every node the patch names, and `values` itself, gets `stamp`
 * (`$lastUpdated`, and `$lastUpdatedVersion` for desired); untouched nodes keep their metadata.
 * Inputs are never mutated.
 */
export function mergeWithMetadata(
  values: JsonObject,
  metadata: JsonObject,
  patch: JsonObject,
  stamp: JsonObject,
): MergedNode {
  const nextValues: JsonObject = { ...values };
  const nextMetadata: JsonObject = { ...metadata, ...stamp };
  for (const [key, change] of Object.entries(patch)) {
    if (change === null) {
      delete nextValues[key];
      delete nextMetadata[key];
      continue;
    }
    if (isJsonObject(change)) {
      const current = ownValue(values, key);
      const currentMetadata = ownValue(metadata, key);
      // A patch object merges into an existing object; over a leaf (or nothing) it starts from empty.
      const merged = isJsonObject(current)
        ? mergeWithMetadata(current, isJsonObject(currentMetadata) ? currentMetadata : {}, change, stamp)
        : mergeWithMetadata({}, {}, change, stamp);
      setOwn(nextValues, key, merged.values);
      setOwn(nextMetadata, key, merged.metadata);
      continue;
    }
    setOwn(nextValues, key, cloneJson(change));
    setOwn(nextMetadata, key, { ...stamp });
  }
  return { values: nextValues, metadata: nextMetadata };
}
