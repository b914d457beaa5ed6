import { HubError } from '../errors';
import type { MethodResult } from '../methods/invoker';
import { MemoryBackend } from '../persistence/backend';
import { HubThrottle } from '../quota/throttle';
import { type HubState, openHubState } from '../state';
import type { DeviceJobRecord, JobRecord } from './model';
import { JobRepository } from './repository';
import { parseJobRequest } from './request';
import { type JobActions, JobService } from './service';

interface Call {
  deviceId: string;
  resolve(result: MethodResult): void;
  reject(err: Error): void;
}

/** Devices d0…d(n-1); method calls wait until the test settles them. */
function fakeActions(count: number) {
  const calls: Call[] = [];
  const twinUpdates: string[] = [];
  let selectable = Array.from({ length: count }, (_, i) => `d${i}`);
  const actions: JobActions = {
    invokeMethod: (deviceId) =>
      new Promise<MethodResult>((resolve, reject) => calls.push({ deviceId, resolve, reject })),
    async updateTwin(deviceId) {
      twinUpdates.push(deviceId);
    },
    selectDevices: () => selectable,
  };
  return {
    actions,
    calls,
    twinUpdates,
    setDevices(ids: string[]) {
      selectable = ids;
    },
  };
}

const method = (jobId: string, extra: Record<string, unknown> = {}) =>
  parseJobRequest(jobId, {
    jobId,
    type: 'scheduleDeviceMethod',
    queryCondition: "tags.site = 'x'",
    cloudToDeviceMethod: { methodName: 'reboot', payload: null, responseTimeoutInSeconds: 30 },
    ...extra,
  });

async function setup(count: number, options: { concurrency?: number; store?: HubState } = {}) {
  const store = options.store ?? (await openHubState(new MemoryBackend()));
  const fake = fakeActions(count);
  const jobs = new JobService(new JobRepository(store), fake.actions, {
    concurrency: options.concurrency ?? 2,
  });
  return { store, jobs, ...fake };
}

/** A memory backend whose appends matching `hold` wait until {@link release}: a disk write in flight. */
class HeldBackend extends MemoryBackend {
  hold: (lines: string) => boolean = () => false;
  private readonly held: (() => void)[] = [];
  override async append(lines: string) {
    if (this.hold(lines)) await new Promise<void>((resolve) => this.held.push(resolve));
    await super.append(lines);
  }
  get heldCount() {
    return this.held.length;
  }
  /** Lets the held writes and every later one through. */
  release() {
    this.hold = () => false;
    for (const resolve of this.held.splice(0)) resolve();
  }
}

/** Lets the service's promise chains (store writes, next devices) run. */
const settle = () => jest.advanceTimersByTimeAsync(0);

describe('JobService', () => {
  beforeEach(() => {
    jest.useFakeTimers({ now: new Date('2026-01-01T00:00:00Z') });
  });
  afterEach(() => jest.useRealTimers());

  it('works through the devices never more than `concurrency` at a time, then completes', async () => {
    const { jobs, calls } = await setup(5);
    await expect(jobs.create(method('j'))).resolves.toMatchObject({ status: 'queued' });
    await settle();
    expect(calls.map((c) => c.deviceId)).toEqual(['d0', 'd1']);
    expect(jobs.get('j')).toMatchObject({
      status: 'running',
      deviceJobStatistics: { deviceCount: 5, runningCount: 2, pendingCount: 3, succeededCount: 0 },
    });
    calls[0]!.resolve({ status: 200, payload: { ok: 1 } });
    calls[1]!.reject(new HubError('DeviceNotOnline', 'Timed out waiting for device to connect.'));
    await settle();
    expect(calls.map((c) => c.deviceId)).toEqual(['d0', 'd1', 'd2', 'd3']);
    for (const call of calls.slice(2)) call.resolve({ status: 500, payload: null });
    await settle();
    calls[4]!.resolve({ status: 200, payload: null });
    await settle();
    expect(jobs.get('j')).toMatchObject({
      status: 'completed',
      endTime: '2026-01-01T00:00:00.000Z',
      deviceJobStatistics: {
        deviceCount: 5,
        succeededCount: 4,
        failedCount: 1,
        runningCount: 0,
        pendingCount: 0,
      },
    });
    const rows = jobs.deviceJobRows();
    expect(rows[0]).toMatchObject({
      deviceId: 'd0',
      outcome: { deviceMethodResponse: { status: 200, payload: { ok: 1 } } },
    });
    expect(rows[1]).toMatchObject({
      deviceId: 'd1',
      status: 'failed',
      error: { code: 'DeviceNotOnline' },
      outcome: { deviceMethodResponse: null },
    });
  });

  it('starts a scheduled job at its start time and selects the devices of that moment', async () => {
    const { jobs, calls, setDevices } = await setup(0);
    await expect(jobs.create(method('later', { startTime: '2026-01-01T00:10:00Z' }))).resolves.toMatchObject({
      status: 'queued',
      startTime: '2026-01-01T00:10:00.000Z',
    });
    expect(jobs.get('later')).toMatchObject({ status: 'scheduled' });
    setDevices(['late-1']);
    await jest.advanceTimersByTimeAsync(10 * 60_000 - 1);
    expect(calls).toHaveLength(0);
    await jest.advanceTimersByTimeAsync(1);
    expect(calls.map((c) => c.deviceId)).toEqual(['late-1']);
  });

  it('completes at once when the condition selects no device', async () => {
    const { jobs } = await setup(0);
    await jobs.create(method('empty'));
    await settle();
    expect(jobs.get('empty')).toMatchObject({ status: 'completed', deviceJobStatistics: { deviceCount: 0 } });
  });

  it('fails what is not done at maxExecutionTimeInSeconds and ignores answers that come later', async () => {
    const { jobs, calls } = await setup(3);
    await jobs.create(method('slow', { maxExecutionTimeInSeconds: 60 }));
    await settle();
    calls[0]!.resolve({ status: 200, payload: null });
    await jest.advanceTimersByTimeAsync(60_000);
    expect(jobs.get('slow')).toMatchObject({
      status: 'failed',
      failureReason: expect.stringContaining('maxExecutionTimeInSeconds (60 s)'),
      deviceJobStatistics: {
        deviceCount: 3,
        succeededCount: 1,
        failedCount: 2,
        runningCount: 0,
        pendingCount: 0,
      },
    });
    for (const call of calls.slice(1)) call.resolve({ status: 200, payload: null });
    await settle();
    expect(calls).toHaveLength(3);
    expect(jobs.get('slow')).toMatchObject({ deviceJobStatistics: { succeededCount: 1, failedCount: 2 } });
    expect(jobs.deviceJobRows().map((row) => (row.error as { code?: string } | undefined)?.code)).toEqual([
      undefined,
      'JobTimedOut',
      'JobTimedOut',
    ]);
  });

  it('cancel: devices not started are canceled, the ones in flight finish and count', async () => {
    const { jobs, calls } = await setup(4);
    await jobs.create(method('c'));
    await settle();
    await expect(jobs.cancel('c')).resolves.toMatchObject({
      status: 'cancelled',
      deviceJobStatistics: { deviceCount: 4, runningCount: 2, pendingCount: 0 },
    });
    for (const call of calls) call.resolve({ status: 200, payload: null });
    await settle();
    expect(calls).toHaveLength(2);
    expect(jobs.get('c')).toMatchObject({
      status: 'cancelled',
      deviceJobStatistics: { deviceCount: 4, succeededCount: 2, runningCount: 0, failedCount: 0 },
    });
    expect(jobs.deviceJobRows().map((row) => row.status)).toEqual([
      'completed',
      'completed',
      'canceled',
      'canceled',
    ]);
    await expect(jobs.cancel('c')).resolves.toMatchObject({ status: 'cancelled' });
  });

  it('cancels a scheduled job before it starts', async () => {
    const { jobs, calls } = await setup(2);
    await jobs.create(method('s', { startTime: '2026-01-02T00:00:00Z' }));
    await jobs.cancel('s');
    await jest.advanceTimersByTimeAsync(24 * 3600_000);
    expect(calls).toHaveLength(0);
    expect(jobs.get('s')).toMatchObject({ status: 'cancelled', deviceJobStatistics: { deviceCount: 0 } });
  });

  it('runs twin updates through the twin action', async () => {
    const { jobs, twinUpdates } = await setup(3);
    await jobs.create(
      parseJobRequest('t', {
        type: 'scheduleUpdateTwin',
        queryCondition: 'IS_DEFINED(tags.a)',
        updateTwin: { tags: { a: 2 } },
      }),
    );
    await settle();
    expect(twinUpdates).toEqual(['d0', 'd1', 'd2']);
    expect(jobs.get('t')).toMatchObject({ status: 'completed', deviceJobStatistics: { succeededCount: 3 } });
  });

  it('refuses a taken id and answers JobNotFound for unknown ones; lists by type and status', async () => {
    const { jobs } = await setup(0);
    await jobs.create(method('a'));
    await expect(jobs.create(method('a'))).rejects.toMatchObject({
      errorName: 'JobAlreadyExists',
      status: 409,
    });
    expect(() => jobs.get('nope')).toThrow(
      expect.objectContaining({ errorName: 'JobNotFound', status: 404 }),
    );
    await expect(jobs.cancel('nope')).rejects.toMatchObject({ errorName: 'JobNotFound' });
    await settle();
    expect(jobs.list({ type: 'scheduleDeviceMethod' }).map((job) => job.jobId)).toEqual(['a']);
    expect(jobs.list({ type: 'scheduleUpdateTwin' })).toEqual([]);
    expect(jobs.list({ status: 'completed' }).map((job) => job.jobId)).toEqual(['a']);
  });

  it('on stop, fails the calls in flight as HubStopped and leaves the rest pending', async () => {
    const { jobs, calls } = await setup(3);
    await jobs.create(method('x'));
    await settle();
    jobs.stop();
    for (const call of calls) call.reject(new HubError('ServiceUnavailable', 'The hub is shutting down.'));
    await jobs.idle();
    expect(calls).toHaveLength(2);
    expect(jobs.get('x')).toMatchObject({
      status: 'running',
      deviceJobStatistics: { failedCount: 2, pendingCount: 1 },
    });
    expect(jobs.deviceJobRows()[0]).toMatchObject({ error: { code: 'HubStopped' } });
  });

  // A CI hang: device records still queued for the disk at stop() landed afterwards, and each job step
  // went on to call its device on a stopped hub, parking close() behind a 300 s connect timeout.
  it.each([
    // The journal holds changes: `"status":"running"` in a whole record, `["status"],"running"` in a delta.
    { step: "the job's start", writing: /"c":"jobs".*"status"\]?[:,]"running"/ },
    { step: "a device's running record", writing: /"c":"deviceJobs"/ },
  ])('stopped while $step is being written: calls no device and leaves no timer', async ({ writing }) => {
    const backend = new HeldBackend();
    const { jobs, calls } = await setup(3, { store: await openHubState(backend) });
    backend.hold = (lines) => writing.test(lines);
    void jobs.create(method('x'));
    await settle();
    expect(backend.heldCount).toBeGreaterThan(0);
    jobs.stop();
    backend.release();
    await jobs.idle();
    expect(calls).toHaveLength(0);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('refuses new jobs once stopped, with 503', async () => {
    const { jobs } = await setup(1);
    jobs.stop();
    await expect(jobs.create(method('late'))).rejects.toMatchObject({
      errorName: 'ServiceUnavailable',
      status: 503,
    });
    expect(jobs.list()).toEqual([]);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('after a crash: in-flight devices fail as HubStopped, the others resume within the original time limit', async () => {
    const store = await openHubState(new MemoryBackend());
    const job: JobRecord = {
      jobId: 'crashed',
      type: 'scheduleDeviceMethod',
      queryCondition: 'true = true',
      cloudToDeviceMethod: {
        methodName: 'reboot',
        payloadJson: 'null',
        responseTimeoutInSeconds: 30,
        connectTimeoutInSeconds: 0,
      },
      createdTime: '2025-12-31T23:59:00.000Z',
      startTime: '2025-12-31T23:59:00.000Z',
      maxExecutionTimeInSeconds: 120,
      status: 'running',
      deviceIds: ['d0', 'd1', 'd2'],
    };
    const inFlight: DeviceJobRecord = {
      jobId: 'crashed',
      deviceId: 'd0',
      status: 'running',
      startTime: job.startTime,
      lastUpdatedTime: job.startTime,
    };
    await store.put('jobs', job.jobId, job);
    await store.put('deviceJobs', JSON.stringify(['crashed', 'd0']), inFlight);
    const { jobs, calls } = await setup(3, { store });
    await jobs.start();
    await settle();
    expect(calls.map((c) => c.deviceId)).toEqual(['d1', 'd2']);
    expect(jobs.get('crashed')).toMatchObject({
      status: 'running',
      deviceJobStatistics: { failedCount: 1, runningCount: 2 },
    });
    // 60 s of the 120 s limit are left.
    await jest.advanceTimersByTimeAsync(60_000);
    expect(jobs.get('crashed')).toMatchObject({ status: 'failed', deviceJobStatistics: { failedCount: 3 } });
  });

  // "IoT Hub quotas and throttling": jobs device operations (update twin, invoke direct method) run at
  // 10/s on S1, so a job over 100 devices takes ~10 s; the work is slowed, never refused.
  describe('paced by a quota (jobs device operations, S1: 10/s)', () => {
    const twinJob = (jobId: string) =>
      parseJobRequest(jobId, {
        jobId,
        type: 'scheduleUpdateTwin',
        queryCondition: "tags.site = 'x'",
        updateTwin: { tags: { a: 2 } },
      });
    async function paced(count: number) {
      const store = await openHubState(new MemoryBackend());
      const fake = fakeActions(count);
      const throttle = new HubThrottle({ tier: 'S1', units: 1 });
      const jobs = new JobService(new JobRepository(store), fake.actions, {
        pace: () => throttle.pace('jobDeviceOperations'),
      });
      return { jobs, throttle, ...fake };
    }

    it('a 100-device twin job runs 10 devices at once, then one per 100 ms, done after 9 s', async () => {
      const { jobs, twinUpdates, throttle } = await paced(100);
      await jobs.create(twinJob('p'));
      await settle();
      expect(twinUpdates).toEqual(Array.from({ length: 10 }, (_, i) => `d${i}`));
      await jest.advanceTimersByTimeAsync(100);
      expect(twinUpdates).toHaveLength(11);
      await jest.advanceTimersByTimeAsync(8_899); // 8.999 s in: 10 + 89 devices
      expect(twinUpdates).toHaveLength(99);
      expect(jobs.get('p')).toMatchObject({ status: 'running' });
      await jest.advanceTimersByTimeAsync(1);
      expect(twinUpdates).toEqual(Array.from({ length: 100 }, (_, i) => `d${i}`));
      expect(jobs.get('p')).toMatchObject({
        status: 'completed',
        deviceJobStatistics: { succeededCount: 100 },
      });
      expect(throttle.refusedCounts().jobDeviceOperations).toBe(0);
    });

    it('a cancel while devices wait for their turn leaves those devices untouched', async () => {
      const { jobs, twinUpdates, throttle } = await paced(30);
      await jobs.create(twinJob('c'));
      await settle();
      expect(twinUpdates).toHaveLength(10);
      await jobs.cancel('c');
      await jest.advanceTimersByTimeAsync(5_000);
      expect(twinUpdates).toHaveLength(10);
      expect(jobs.get('c')).toMatchObject({
        status: 'cancelled',
        deviceJobStatistics: { succeededCount: 10 },
      });
      throttle.close();
      await jobs.idle();
    });

    it('stop (hub closing) releases the devices waiting for their turn', async () => {
      const { jobs, twinUpdates, throttle } = await paced(30);
      await jobs.create(twinJob('s'));
      await settle();
      jobs.stop();
      throttle.close();
      await jobs.idle();
      expect(twinUpdates).toHaveLength(10);
      expect(jest.getTimerCount()).toBe(0);
    });
  });
});
