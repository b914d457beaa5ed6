import { z } from 'zod';
import { HubError } from '../../errors';
import { executeQuery, pageResults, parseQuery } from '../../query';
import { QuerySnapshots } from '../../query/snapshots';
import { header, type RestContext, type RestRequest, type RestResponse } from './context';
import { serviceTwinDocuments } from './twins';
import { parseBody } from './validation';

const queryBody = z.looseObject({ query: z.string() });

/** IoT Hub pages query results by 100 unless asked otherwise, and by at most 1000. */
const DEFAULT_PAGE_SIZE = 100;
const MAX_PAGE_SIZE = 1000;

/**
 * POST /devices/query: runs the query over the twins (or, `FROM devices.jobs`, over the per-device job
 * results) and returns one page. `x-ms-continuation` is set only
 * when more pages follow: the SDK takes its mere presence as "more results".
 */
export function queryTwins(ctx: RestContext, request: RestRequest): RestResponse {
  const { query: text } = parseBody(queryBody, request.body);
  const maxItemCount = pageSize(header(request, 'x-ms-max-item-count'));
  const continuationToken = header(request, 'x-ms-continuation') || undefined;
  const query = parseQuery(text);
  const snapshots = snapshotsOf(ctx);
  const remembered = continuationToken ? snapshots.get(text) : undefined;
  const results =
    remembered ??
    executeQuery(
      query,
      query.collection === 'devices.jobs' ? ctx.jobs.deviceJobRows() : serviceTwinDocuments(ctx),
    );
  const page = pageResults(results, text, {
    maxItemCount,
    ...(continuationToken ? { continuationToken } : {}),
  });
  // Later pages of this run are served from these results (see QuerySnapshots).
  if (page.continuationToken && remembered === undefined) snapshots.set(text, results);
  return {
    status: 200,
    body: page.items,
    headers: {
      'x-ms-item-type': query.collection === 'devices.jobs' ? 'deviceJob' : 'JSON',
      ...(page.continuationToken ? { 'x-ms-continuation': page.continuationToken } : {}),
    },
  };
}

const snapshotsByHub = new WeakMap<RestContext, QuerySnapshots>();

function snapshotsOf(ctx: RestContext): QuerySnapshots {
  let snapshots = snapshotsByHub.get(ctx);
  if (snapshots === undefined) {
    snapshots = new QuerySnapshots();
    snapshotsByHub.set(ctx, snapshots);
  }
  return snapshots;
}

/** `x-ms-max-item-count`: default 100, capped at 1000; not a positive integer → 400. */
export function pageSize(value: string | undefined): number {
  if (value === undefined || value === '') return DEFAULT_PAGE_SIZE;
  const size = Number(value);
  if (!Number.isInteger(size) || size < 1) {
    throw new HubError('ArgumentInvalid', 'x-ms-max-item-count must be a positive integer.');
  }
  return Math.min(size, MAX_PAGE_SIZE);
}
