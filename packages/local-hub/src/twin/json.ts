import type { JsonObject, JsonValue } from './types';

/** A non-null, non-array object (the only kind of JSON node a merge patch recurses into). */
export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Own-property lookup: `obj[key]` would also find inherited members such as `constructor`, and user keys
 * may be any string.
 */
export function ownValue(obj: JsonObject, key: string): JsonValue | undefined {
  return Object.hasOwn(obj, key) ? obj[key] : undefined;
}

/** Assignment that is safe for every key: plain `obj[key] = v` with key `__proto__` would swap the prototype. */
export function setOwn(obj: JsonObject, key: string, value: JsonValue): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

/** Where a key sits, for error messages: `properties.desired.a["b c"]`, long keys shortened. */
export function formatPath(root: string, segments: readonly (string | number)[]): string {
  let out = root;
  for (const segment of segments) {
    if (typeof segment === 'number') {
      out += `[${segment}]`;
    } else {
      const shown = segment.length > 64 ? `${segment.slice(0, 64)}…` : segment;
      out += /^[A-Za-z_][A-Za-z0-9_-]*$/.test(shown) ? `.${shown}` : `[${JSON.stringify(shown)}]`;
    }
  }
  return out;
}
