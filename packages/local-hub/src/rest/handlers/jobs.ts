import { HubError } from '../../errors';
import { JOB_STATUSES, JOB_TYPES, type JobStatus, type JobType } from '../../jobs/model';
import { parseJobRequest } from '../../jobs/request';
import { pageResults } from '../../query';
import type { RestContext, RestRequest, RestResponse } from './context';
import { pageRequestOf, pageResponse } from './paging';

/** PUT /jobs/v2/{id}: schedules a method or twin-update job (what JobClient.schedule* sends). */
export async function putJob(ctx: RestContext, request: RestRequest<'jobId'>): Promise<RestResponse> {
  const job = await ctx.jobs.create(parseJobRequest(request.params.jobId, request.body));
  return { status: 200, body: job };
}

/** GET /jobs/v2/{id}: the job with its live deviceJobStatistics. */
export function getJob(ctx: RestContext, request: RestRequest<'jobId'>): RestResponse {
  return { status: 200, body: ctx.jobs.get(request.params.jobId) };
}

/** POST /jobs/v2/{id}/cancel: devices not yet started are not run; the job is `cancelled`. */
export async function cancelJob(ctx: RestContext, request: RestRequest<'jobId'>): Promise<RestResponse> {
  return { status: 200, body: await ctx.jobs.cancel(request.params.jobId) };
}

/**
 * GET /jobs/v2/query[?jobType=…][&jobStatus=…] (JobClient.createQuery): job documents, oldest first, paged
 * like twin queries (`x-ms-max-item-count`, `x-ms-continuation` only when more pages follow).
 */
export function queryJobs(ctx: RestContext, request: RestRequest): RestResponse {
  const type = oneOf<JobType>(request.query.get('jobType'), JOB_TYPES, 'jobType');
  const status = oneOf<JobStatus>(request.query.get('jobStatus'), JOB_STATUSES, 'jobStatus');
  const jobs = ctx.jobs.list({ ...(type ? { type } : {}), ...(status ? { status } : {}) });
  // The token is bound to the filter, as a twin query's token is bound to its text.
  const filter = `jobs?type=${type ?? ''}&status=${status ?? ''}`;
  return pageResponse(pageResults(jobs, filter, pageRequestOf(request)), 'jobResponse');
}

function oneOf<T extends string>(value: string | null, allowed: readonly T[], name: string): T | undefined {
  if (value === null || value === '') return undefined;
  if (!(allowed as readonly string[]).includes(value)) {
    throw new HubError('ArgumentInvalid', `${name} must be one of ${allowed.join(', ')}.`);
  }
  return value as T;
}
