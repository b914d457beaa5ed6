import { createHash } from 'node:crypto';
import type { JsonObject } from '../twin/types';
import { QueryContinuationError } from './errors';

/**
 * Page size without `x-ms-max-item-count`, and the largest honoured. (azure-iothub's `createQuery` JSDoc
 * claims 1000 and 10000; the hub keeps to the smaller 100 and 1000.)
 */
export const PAGE_SIZE = { default: 100, max: 1000 } as const;

// Token layout: base64url("<offset>.<query hash>"). The hash ties a token to the query text it came from.
const TOKEN_BODY = /^([1-9]\d{0,14})\.([0-9a-f]{16})$/;

/**
 * Cuts one page out of a query's full result list. The continuation token is present only when more
 * results follow (azure-iothub treats any token as "more pages"). A token from a longer result list than
 * the current one (twins deleted meanwhile) yields an empty last page.
 * @throws QueryContinuationError for a malformed token or one issued for another query text.
 */
export function pageResults(
  results: readonly JsonObject[],
  queryText: string,
  options: { maxItemCount?: number; continuationToken?: string },
): { items: JsonObject[]; continuationToken?: string } {
  const size = pageSize(options.maxItemCount);
  const start =
    options.continuationToken === undefined ? 0 : offsetFrom(options.continuationToken, queryText);
  const end = start + size;
  const items = results.slice(start, end);
  return end < results.length ? { items, continuationToken: tokenFor(end, queryText) } : { items };
}

/**
 * The one page-size rule, for twin and job queries alike: a missing, non-numeric or non-positive size
 * falls back to the default, a fraction is rounded down and a big one capped, rather than failing. This
 * is IoT Hub's documented behaviour for `x-ms-max-item-count`: "The service may use a different value if
 * the value specified is not acceptable" (REST API reference, Query - Get Twins, api-version 2021-04-12,
 * https://learn.microsoft.com/rest/api/iothub/service/query/get-twins).
 */
function pageSize(requested: number | undefined): number {
  if (requested === undefined || Number.isNaN(requested) || requested < 1) return PAGE_SIZE.default;
  return Math.min(Math.floor(requested), PAGE_SIZE.max);
}

function tokenFor(offset: number, queryText: string): string {
  return Buffer.from(`${offset}.${queryHash(queryText)}`, 'utf8').toString('base64url');
}

function offsetFrom(token: string, queryText: string): number {
  const body = /^[A-Za-z0-9_-]{1,64}$/.test(token) ? Buffer.from(token, 'base64url').toString('utf8') : '';
  const match = TOKEN_BODY.exec(body);
  if (!match) throw new QueryContinuationError('Malformed continuation token');
  if (match[2] !== queryHash(queryText)) {
    throw new QueryContinuationError('Continuation token was issued for a different query');
  }
  return Number(match[1]);
}

function queryHash(queryText: string): string {
  return createHash('sha256').update(queryText, 'utf8').digest('hex').slice(0, 16);
}
