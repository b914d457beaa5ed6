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

/**
 * Assignment that is safe for every key: plain `obj[key] = v` with key `__proto__` would swap the
 * prototype. Only that key needs defining: any other assignment to a plain object (even `constructor`)
 * makes an own data property, and defining every key cost the twin path about 1 % of the hub's CPU.
 */
export function setOwn(obj: JsonObject, key: string, value: JsonValue): void {
  if (key === '__proto__') {
    Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    obj[key] = value;
  }
}

/**
 * A deep copy of a JSON value (what twins hold: validated JSON, no cycles, no other types). It stands in
 * for `structuredClone` on the twin and query paths, where the bench's profiles showed it: for twin-sized
 * objects structuredClone's serialise-and-rebuild is several times slower than copying the keys. Keys
 * keep their order; a `__proto__` key stays an own property (see {@link setOwn}).
 */
export function cloneJson<T extends JsonValue>(value: T): T {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((item) => cloneJson(item)) as T;
  const out: JsonObject = {};
  for (const key of Object.keys(value)) {
    const copy = cloneJson((value as JsonObject)[key] as JsonValue);
    if (key === '__proto__') setOwn(out, key, copy);
    else out[key] = copy;
  }
  return out as T;
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
