import { cloneJson, setOwn } from '../twin/json';
import type { JsonObject } from '../twin/types';
import type { ProjectionItem, Query } from './ast';
import { matches } from './evaluate';
import { canonicalJson, lookup } from './values';

/**
 * Runs a parsed query over service twin documents (the `toServiceTwinDocument` shape), in iteration order.
 * Rows are fresh copies. Groups come out in the order their first twin was seen; a projected path that is
 * missing in a twin is left out of that row, as IoT Hub does.
 */
export function executeQuery(query: Query, twins: Iterable<JsonObject>): JsonObject[] {
  const limit = query.top ?? Number.POSITIVE_INFINITY;
  const rows: JsonObject[] = [];
  if (!query.aggregate) {
    for (const twin of twins) {
      if (rows.length >= limit) break;
      if (query.where && !matches(query.where, twin)) continue;
      rows.push(query.projection ? project(query.projection, twin, 0) : cloneJson(twin));
    }
    return rows;
  }
  const groups = new Map<string, { first: JsonObject; count: number }>();
  for (const twin of twins) {
    if (query.where && !matches(query.where, twin)) continue;
    const key = JSON.stringify(query.groupBy.map((path) => canonicalJson(lookup(twin, path.segments))));
    const group = groups.get(key);
    if (group) group.count += 1;
    else groups.set(key, { first: twin, count: 1 });
  }
  // Without GROUP BY, COUNT() still yields one row, even over no twins.
  if (query.groupBy.length === 0 && groups.size === 0) groups.set('', { first: {}, count: 0 });
  for (const { first, count } of groups.values()) {
    if (rows.length >= limit) break;
    // The parser allows only GROUP BY paths next to COUNT(), so any twin of the group gives their values.
    rows.push(project(query.projection ?? [], first, count));
  }
  return rows;
}

function project(items: readonly ProjectionItem[], twin: JsonObject, count: number): JsonObject {
  const row: JsonObject = {};
  for (const item of items) {
    const value = item.kind === 'count' ? count : lookup(twin, item.path.segments);
    if (value !== undefined) setOwn(row, item.name, cloneJson(value));
  }
  return row;
}
