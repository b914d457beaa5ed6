import { isJsonObject, ownValue } from '../twin/json';
import type { JsonObject, JsonValue } from '../twin/types';

/** A property's value in a twin document; `undefined` when the path does not exist. */
export type Value = JsonValue | undefined;

/** Follows `segments` through nested objects, own properties only. */
export function lookup(document: JsonObject, segments: readonly string[]): Value {
  let current: Value = document;
  for (const segment of segments) {
    if (!isJsonObject(current)) return undefined;
    current = ownValue(current, segment);
  }
  return current;
}

/** The JSON type of a value, as the comparison rules see it. */
export function typeOf(value: JsonValue): 'null' | 'array' | 'object' | 'string' | 'number' | 'boolean' {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value as 'object' | 'string' | 'number' | 'boolean';
}

/**
 * JSON with object keys sorted, so equal values (whatever their key order) give equal text; `undefined`
 * gets a text no JSON value has. Used for deep equality and for group keys.
 */
export function canonicalJson(value: Value): string {
  if (value === undefined) return 'undefined';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (isJsonObject(value)) {
    const entries = Object.keys(value)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonicalJson(value[key])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value);
}
