import { isJsonObject, setOwn } from '../twin/json';
import type { JsonObject, JsonValue } from '../twin/types';

/** One change: `[path, value]` sets the value at `path`, `[path]` deletes it. */
export type DeltaOp = [path: string[], value: unknown] | [path: string[]];

/**
 * The changes that turn `before` into `after`, so a journal entry costs what changed rather than the
 * whole document (a twin is ~5x its values with `$metadata`). Subtrees shared by reference are skipped
 * without a look, which makes this cheap for the structurally-shared results of twin merges. Objects whose
 * surviving keys change order are set whole, so a replay rebuilds the same key order.
 */
export function diff(before: unknown, after: unknown): DeltaOp[] {
  const ops: DeltaOp[] = [];
  collect(before, after, [], ops);
  return ops;
}

function collect(before: unknown, after: unknown, path: string[], ops: DeltaOp[]): void {
  if (Object.is(before, after)) return;
  if (!isJsonObject(before) || !isJsonObject(after)) {
    ops.push([path, after]);
    return;
  }
  const keysBefore = Object.keys(before);
  const keysAfter = Object.keys(after);
  // The common case (a merge: every key kept in place, new ones appended) in one pass over the keys.
  const prefix = keysBefore.every((key, index) => keysAfter[index] === key);
  if (!prefix && !keptInOrder(keysBefore, after, keysAfter)) {
    ops.push([path, after]);
    return;
  }
  if (!prefix) for (const key of keysBefore) if (!Object.hasOwn(after, key)) ops.push([[...path, key]]);
  for (const [index, key] of keysAfter.entries()) {
    const value = after[key];
    const existed = prefix ? index < keysBefore.length : Object.hasOwn(before, key);
    if (!existed) ops.push([[...path, key], value]);
    // Checked here rather than in the call: a twin's sections have hundreds of unchanged keys.
    else if (!Object.is(before[key], value)) collect(before[key], value, [...path, key], ops);
  }
}

/** Whether `after` lists the keys it keeps from `before` in their old order, new keys after them. */
function keptInOrder(keysBefore: string[], after: JsonObject, keysAfter: string[]): boolean {
  const kept = keysBefore.filter((key) => Object.hasOwn(after, key));
  return kept.every((key, index) => keysAfter[index] === key);
}

/**
 * Applies `ops` to `value` (which it may mutate: the loader owns what it parsed) and returns the result.
 * Keys are set as own properties, so a key named `__proto__` stays data.
 */
export function applyDelta(value: unknown, ops: readonly DeltaOp[]): unknown {
  let root = value;
  for (const op of ops) {
    const [path] = op;
    if (path.length === 0) {
      root = op.length === 2 ? op[1] : undefined;
      continue;
    }
    if (!isJsonObject(root)) root = {};
    let node = root as JsonObject;
    for (const key of path.slice(0, -1)) {
      const child = Object.hasOwn(node, key) ? node[key] : undefined;
      if (isJsonObject(child)) node = child;
      else {
        const created: JsonObject = {};
        setOwn(node, key, created);
        node = created;
      }
    }
    const last = path[path.length - 1] as string;
    if (op.length === 2) setOwn(node, last, op[1] as JsonValue);
    else delete node[last];
  }
  return root;
}

/** Whether `ops` is a well-formed delta (a damaged journal must be refused, not half-applied). */
export function isDelta(ops: unknown): ops is DeltaOp[] {
  return (
    Array.isArray(ops) &&
    ops.every(
      (op) =>
        Array.isArray(op) &&
        (op.length === 1 || op.length === 2) &&
        Array.isArray(op[0]) &&
        op[0].every((key: unknown) => typeof key === 'string'),
    )
  );
}
