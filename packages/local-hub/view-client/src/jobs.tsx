import { useState } from 'preact/hooks';
import { describe, get, post } from './api';
import { useLive } from './events';
import { Alert, Status, Table, time } from './ui';

interface JobDoc {
  jobId: string;
  type: string;
  status: string;
  queryCondition: string;
  createdTime: string;
  startTime?: string;
  endTime?: string;
  deviceJobStatistics?: {
    deviceCount: number;
    succeededCount: number;
    failedCount: number;
    runningCount: number;
    pendingCount: number;
  };
}

const TERMINAL = new Set(['completed', 'failed', 'cancelled']);

/** Jobs: live progress bars, a fleet reboot job for a condition, cancel, per-device results. */
export function JobsPage() {
  const [condition, setCondition] = useState('*');
  const [message, setMessage] = useState<string | undefined>();
  const [openJob, setOpenJob] = useState<string | undefined>();
  const { data, error, reload } = useLive(
    () => get<JobDoc[]>('/api/jobs'),
    (e) => e.type === 'job' || e.type === 'job-device',
    [],
  );
  return (
    <section>
      <h1>Jobs</h1>
      <form
        class="toolbar"
        onSubmit={async (e) => {
          e.preventDefault();
          try {
            const job = await post<JobDoc>('/api/jobs', { queryCondition: condition });
            setMessage(`created ${job.jobId}`);
            reload();
          } catch (err) {
            setMessage(describe(err));
          }
        }}
      >
        <input
          aria-label="Query condition"
          class="wide"
          value={condition}
          onInput={(e) => setCondition(e.currentTarget.value)}
        />
        <button type="submit" class="primary">
          Reboot matching devices
        </button>
      </form>
      <Status text={message} />
      <Alert error={error} />
      {(data ?? []).map((job) => {
        const s = job.deviceJobStatistics ?? {
          deviceCount: 0,
          succeededCount: 0,
          failedCount: 0,
          runningCount: 0,
          pendingCount: 0,
        };
        const total = Math.max(s.deviceCount, 1);
        const done = s.deviceCount === 0 ? 0 : Math.round(((s.succeededCount + s.failedCount) / total) * 100);
        return (
          <div class="card job" key={job.jobId} data-job={job.jobId}>
            <div class="job-head">
              <strong>{job.jobId}</strong>
              <span class={`pill ${job.status}`}>{job.status}</span>
              <span class="muted">{job.queryCondition}</span>
              <span class="muted">started {time(job.startTime)}</span>
              {!TERMINAL.has(job.status) && (
                <button
                  type="button"
                  onClick={async () => {
                    try {
                      await post(`/api/jobs/${encodeURIComponent(job.jobId)}/cancel`);
                      reload();
                    } catch (err) {
                      setMessage(describe(err));
                    }
                  }}
                >
                  Cancel
                </button>
              )}
              <button type="button" onClick={() => setOpenJob(openJob === job.jobId ? undefined : job.jobId)}>
                {openJob === job.jobId ? 'Hide devices' : 'Devices'}
              </button>
            </div>
            <div
              class="progress"
              role="progressbar"
              aria-valuemin={0}
              aria-valuemax={100}
              aria-valuenow={done}
              aria-label={`${job.jobId} progress`}
            >
              <span class="succeeded" style={{ width: `${(s.succeededCount / total) * 100}%` }} />
              <span class="failed" style={{ width: `${(s.failedCount / total) * 100}%` }} />
              <span class="running" style={{ width: `${(s.runningCount / total) * 100}%` }} />
            </div>
            <p class="legend" data-testid="progress-text">
              {done}% · {s.succeededCount} succeeded · {s.failedCount} failed · {s.runningCount} running ·{' '}
              {s.pendingCount} pending of {s.deviceCount}
            </p>
            {openJob === job.jobId && <JobDevices jobId={job.jobId} />}
          </div>
        );
      })}
      {data?.length === 0 && <p class="empty">No jobs yet.</p>}
    </section>
  );
}

function JobDevices({ jobId }: { jobId: string }) {
  const { data, error } = useLive(
    () => get<Record<string, unknown>[]>(`/api/jobs/${encodeURIComponent(jobId)}/devices`),
    (e) => e.jobId === jobId,
    [jobId],
  );
  if (error !== undefined) return <Alert error={error} />;
  return (
    <Table
      rows={data ?? []}
      rowKey={(row) => String(row.deviceId)}
      columns={[
        ['Device', (row) => String(row.deviceId)],
        ['Status', (row) => String(row.status)],
        ['Result', (row) => <code>{JSON.stringify(row.outcome ?? row.error ?? null)}</code>],
      ]}
    />
  );
}
