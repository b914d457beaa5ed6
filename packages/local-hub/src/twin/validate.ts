import { TwinPatchError } from './errors';
import { formatPath, isJsonObject, setOwn } from './json';
import { TWIN_LIMITS, utf8Bytes } from './limits';
import type { JsonObject, JsonValue, TwinSection } from './types';

/** Where each section appears in the service twin, so messages use the paths users query by. */
export const SECTION_PATH: Record<TwinSection, string> = {
  tags: 'tags',
  desired: 'properties.desired',
  reported: 'properties.reported',
};

/** IoT Hub refuses '.', '$', space and the C0/C1 control characters (plus DEL) in keys. */
function isForbiddenKeyChar(char: string): boolean {
  const code = char.charCodeAt(0);
  return char === '.' || char === '$' || char === ' ' || code <= 0x1f || (code >= 0x7f && code <= 0x9f);
}

type Path = (string | number)[];

/**
 * Validates untrusted input (typically parsed JSON) as a merge patch for `section` and returns a fresh
 * copy of it. Enforces IoT Hub's key rules, nesting depth, string length and value types; `null` is
 * accepted as an object member (it deletes) but never inside arrays, which IoT Hub only replaces whole.
 * @throws TwinPatchError with code `InvalidArgument`, naming the offending path.
 */
export function validateTwinPatch(patch: unknown, section: TwinSection): JsonObject {
  const root = SECTION_PATH[section];
  if (!isJsonObject(patch)) {
    throw new TwinPatchError(
      'InvalidArgument',
      `${root} patch must be a JSON object, got ${describeType(patch)}`,
    );
  }
  return copyObject(patch, root, [], 0, false);
}

function copyObject(obj: object, root: string, path: Path, depth: number, inArray: boolean): JsonObject {
  const prototype = Object.getPrototypeOf(obj);
  if (prototype !== Object.prototype && prototype !== null) {
    throw invalid(root, path, `unsupported value of type ${describeType(obj)}`);
  }
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(obj)) {
    checkKey(key, root, path);
    setOwn(out, key, copyValue(value, root, [...path, key], depth, inArray));
  }
  return out;
}

function copyValue(
  value: unknown,
  root: string,
  path: Path,
  parentDepth: number,
  inArray: boolean,
): JsonValue {
  if (value === null) {
    // Inside an array a null would be stored, not applied as a delete; IoT Hub rejects it.
    if (inArray) throw invalid(root, path, 'null is not allowed inside arrays');
    return null;
  }
  switch (typeof value) {
    case 'boolean':
      return value;
    case 'number':
      if (!Number.isFinite(value)) throw invalid(root, path, 'numbers must be finite');
      return value;
    case 'string': {
      const bytes = utf8Bytes(value);
      if (bytes > TWIN_LIMITS.stringBytes) {
        throw invalid(
          root,
          path,
          `string values may be at most ${TWIN_LIMITS.stringBytes} bytes, got ${bytes}`,
        );
      }
      return value;
    }
    case 'object': {
      const depth = parentDepth + 1;
      if (depth > TWIN_LIMITS.depth) {
        throw invalid(root, path, `nesting is limited to ${TWIN_LIMITS.depth} levels`);
      }
      if (Array.isArray(value)) {
        return value.map((item, index) => copyValue(item, root, [...path, index], depth, true));
      }
      return copyObject(value, root, path, depth, inArray);
    }
    default:
      throw invalid(root, path, `unsupported value of type ${describeType(value)}`);
  }
}

function checkKey(key: string, root: string, parent: Path): void {
  const where = formatPath(root, [...parent, key]);
  if (key === '') {
    throw new TwinPatchError(
      'InvalidArgument',
      `Empty key under ${formatPath(root, parent)}: keys may not be empty`,
    );
  }
  const bytes = utf8Bytes(key);
  if (bytes > TWIN_LIMITS.keyBytes) {
    throw new TwinPatchError(
      'InvalidArgument',
      `Key ${where} is ${bytes} bytes long; keys may be at most ${TWIN_LIMITS.keyBytes} bytes`,
    );
  }
  if ([...key].some(isForbiddenKeyChar)) {
    throw new TwinPatchError(
      'InvalidArgument',
      `Key ${where} is not allowed: keys may not contain '.', '$', spaces or control characters`,
    );
  }
}

function invalid(root: string, path: Path, reason: string): TwinPatchError {
  return new TwinPatchError('InvalidArgument', `Invalid value at ${formatPath(root, path)}: ${reason}`);
}

function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'object') return value.constructor?.name ?? 'object';
  return typeof value;
}
