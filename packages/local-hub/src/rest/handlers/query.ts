import { z } from 'zod';
import { deviceIdPrefilter, executeQuery, pageResults, parseQuery } from '../../query';
import type { HandlerContext, RestRequest, RestResponse } from './context';
import { pageRequestOf, pageResponse } from './paging';
import { parseBody } from './validation';

const queryBody = z.looseObject({ query: z.string() });

/**
 * POST /devices/query: runs the query over the twins (or, `FROM devices.jobs`, over the per-device job
 * results) and returns one page. The first page runs the query; later pages of that run come from its
 * results while they are remembered (see QuerySnapshots). `FROM devices.modules` runs over module twins.
 */
export function queryTwins(ctx: HandlerContext, request: RestRequest): RestResponse {
  const { query: text } = parseBody(queryBody, request.body);
  const pageRequest = pageRequestOf(request);
  const query = parseQuery(text);
  const remembered = pageRequest.continuationToken ? ctx.querySnapshots.get(text) : undefined;
  const rows = () => {
    if (query.collection === 'devices.jobs') return ctx.jobs.deviceJobRows();
    if (query.collection === 'devices.modules') return ctx.moduleTwinViews.all();
    // The documents of devices the condition cannot select are never built (query/prefilter.ts).
    return ctx.twinViews.all(deviceIdPrefilter(query.where));
  };
  const results = remembered ?? executeQuery(query, rows());
  const page = pageResults(results, text, pageRequest);
  if (page.continuationToken && remembered === undefined) ctx.querySnapshots.set(text, results);
  return pageResponse(page, query.collection === 'devices.jobs' ? 'deviceJob' : 'JSON');
}
