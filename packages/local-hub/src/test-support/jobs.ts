import type { JobClient, Registry } from 'azure-iothub';
import type { JobRecord } from '../jobs/model';

/** The time of the job fixtures below. */
export const JOB_T0 = new Date('2026-01-01T00:00:00Z');

/** A queued method job `j`, created and starting at {@link JOB_T0}: the model's unit tests start from it. */
export const QUEUED_JOB: JobRecord = {
  jobId: 'j',
  type: 'scheduleDeviceMethod',
  queryCondition: 'a = 1',
  createdTime: JOB_T0.toISOString(),
  startTime: JOB_T0.toISOString(),
  maxExecutionTimeInSeconds: 60,
  status: 'queued',
};

/** What GET /jobs/v2/{id} returns, as far as tests look at it. */
export interface JobDocument {
  jobId: string;
  type: string;
  status: string;
  failureReason?: string;
  deviceJobStatistics: {
    deviceCount: number;
    failedCount: number;
    succeededCount: number;
    runningCount: number;
    pendingCount: number;
  };
  [key: string]: unknown;
}

const POLL_MS = 25;

/**
 * Follows a job as a service would (getJob until `until` holds, by default until it ended) and returns every
 * document seen. Jobs have no push notification, so this polls; it gives up after `limitMs`.
 */
export async function followJob(
  jobClient: JobClient,
  jobId: string,
  until: (job: JobDocument) => boolean = (job) => ['completed', 'failed', 'cancelled'].includes(job.status),
  limitMs = 20_000,
): Promise<JobDocument[]> {
  const seen: JobDocument[] = [];
  const giveUp = Date.now() + limitMs;
  for (;;) {
    const { jobStatus } = await jobClient.getJob(jobId);
    seen.push(jobStatus as JobDocument);
    if (until(jobStatus as JobDocument)) return seen;
    if (Date.now() > giveUp)
      throw new Error(`job ${jobId} never reached the state: ${JSON.stringify(jobStatus)}`);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

/** Every row of a query, page by page (passing the token explicitly: the SDK's promise form forgets it). */
export async function queryAll(
  registry: Registry,
  text: string,
  pageSize: number,
): Promise<Record<string, unknown>[]> {
  const query = registry.createQuery(text, pageSize);
  const rows: Record<string, unknown>[] = [];
  do {
    const { result } = await query.next(query.continuationToken ?? undefined);
    rows.push(...(result as Record<string, unknown>[]));
  } while (query.hasMoreResults);
  return rows;
}
