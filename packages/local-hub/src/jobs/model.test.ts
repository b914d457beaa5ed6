import { JOB_T0, QUEUED_JOB } from '../test-support/jobs';
import {
  cancelled,
  type DeviceJobRecord,
  deviceFailed,
  deviceStarted,
  deviceStatusOf,
  deviceSucceeded,
  initialStatus,
  started,
  statisticsOf,
  timedOut,
} from './model';

const t0 = JOB_T0;
const job = QUEUED_JOB;

describe('job model', () => {
  it('is scheduled only when it starts later', () => {
    expect(initialStatus(new Date(t0.getTime() + 1), t0)).toBe('scheduled');
    expect(initialStatus(t0, t0)).toBe('queued');
  });

  it('counts devices by status; devices a cancel stopped count in deviceCount only', () => {
    const running = started(job, ['a', 'b', 'c', 'd', 'e'], t0);
    const a = deviceStarted('j', 'a', t0);
    const records = new Map<string, DeviceJobRecord>([
      ['a', deviceSucceeded(a, t0, { status: 200, payload: null })],
      ['b', deviceFailed(deviceStarted('j', 'b', t0), { code: 'X', description: 'x' }, t0)],
      ['c', deviceStarted('j', 'c', t0)],
    ]);
    expect(statisticsOf(running, records)).toEqual({
      deviceCount: 5,
      succeededCount: 1,
      failedCount: 1,
      runningCount: 1,
      pendingCount: 2,
    });
    expect(statisticsOf(cancelled(running, t0), records)).toMatchObject({ deviceCount: 5, pendingCount: 0 });
    expect(deviceStatusOf(cancelled(running, t0), undefined)).toEqual({ status: 'canceled' });
  });

  it('a timed-out job fails with a reason, and its devices not started fail as JobTimedOut', () => {
    const failed = timedOut(started(job, ['a'], t0), t0);
    expect(failed).toMatchObject({ status: 'failed', endTime: t0.toISOString() });
    expect(failed.failureReason).toMatch(/maxExecutionTimeInSeconds \(60 s\)/);
    expect(deviceStatusOf(failed, undefined)).toMatchObject({
      status: 'failed',
      error: { code: 'JobTimedOut' },
    });
    expect(statisticsOf(failed, new Map())).toMatchObject({ deviceCount: 1, failedCount: 1 });
  });
});
