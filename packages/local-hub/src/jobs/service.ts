import pino, { type Logger } from 'pino';
import { HubError } from '../errors';
import type { MethodResult } from '../methods/invoker';
import type { MethodRequest } from '../methods/request';
import type { Query } from '../query';
import { systemTimers, type Timers } from '../timers';
import type { JsonObject, JsonValue } from '../twin';
import { toDeviceJobRows, toJobDocument } from './documents';
import {
  cancelled,
  completed,
  type DeviceJobError,
  type DeviceJobRecord,
  deadlineOf,
  deviceFailed,
  deviceStarted,
  deviceSucceeded,
  HUB_STOPPED,
  initialStatus,
  isTerminal,
  type JobRecord,
  type JobStatus,
  type JobType,
  started,
  TIMED_OUT,
  timedOut,
} from './model';
import { runBounded } from './pool';
import type { JobRepository } from './repository';
import { type NewJob, parseCondition } from './request';

/** Devices worked on at once per job. */
export const JOB_CONCURRENCY = 32;

/** What jobs do to devices: the same method invoker and twin registry the REST API uses. */
export interface JobActions {
  invokeMethod(deviceId: string, request: MethodRequest): Promise<MethodResult>;
  updateTwin(deviceId: string, update: JsonObject): Promise<void>;
  /** The ids of the devices whose twins the query selects now, in twin order. */
  selectDevices(query: Query): string[];
}

export interface JobServiceOptions {
  concurrency?: number;
  now?: () => Date;
  timers?: Timers;
  /**
   * Waits for the turn of one device operation (a quota's jobs device-operations rate); `false` means the
   * hub is stopping. Default: no pacing.
   */
  pace?: () => Promise<boolean>;
  logger?: Logger;
}

// setTimeout fires at once for delays over 2^31-1 ms (~24.8 days): longer waits are re-armed in steps.
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Runs IoT Hub jobs: a job starts at its start time, selects its devices with its condition at that moment,
 * and works through them with bounded concurrency. Cancel stops devices not yet started (those in flight
 * finish); maxExecutionTimeInSeconds fails whatever is not done. Every state change is stored before it
 * is reported, so jobs survive a restart: see {@link JobService.start}.
 */
export class JobService {
  private readonly timers = new Map<string, unknown>();
  private readonly runs = new Set<Promise<void>>();
  private readonly concurrency: number;
  private readonly now: () => Date;
  private readonly clock: Timers;
  private readonly logger: Logger;
  private readonly pace: () => Promise<boolean>;
  private stopped = false;

  constructor(
    private readonly repository: JobRepository,
    private readonly actions: JobActions,
    options: JobServiceOptions = {},
  ) {
    this.concurrency = options.concurrency ?? JOB_CONCURRENCY;
    this.now = options.now ?? (() => new Date());
    this.clock = options.timers ?? systemTimers;
    this.logger = options.logger ?? pino({ level: 'silent' });
    this.pace = options.pace ?? (() => Promise.resolve(true));
  }

  /**
   * Picks up stored jobs after a (re)start. A device whose work was in flight when the hub stopped is
   * failed (HubStopped: a reboot may or may not have happened, so it is not sent twice); devices not yet
   * started resume; scheduled jobs wait for their start time; a job past its time limit fails.
   */
  async start(): Promise<void> {
    const now = this.now();
    const writes: Promise<void>[] = [];
    for (const job of this.repository.list()) {
      for (const record of this.repository.devicesOf(job.jobId).values()) {
        if (record.status === 'running')
          writes.push(this.repository.putDevice(deviceFailed(record, HUB_STOPPED, now)));
      }
    }
    await Promise.all(writes);
    for (const job of this.repository.list()) if (!isTerminal(job.status)) this.schedule(job);
  }

  /** Stores a new job and schedules it; answers its document as `queued`. HubError JobAlreadyExists. */
  async create(request: NewJob): Promise<JsonObject> {
    if (this.stopped) throw new HubError('ServiceUnavailable', 'The hub is shutting down.');
    // A job whose creation is not durable yet holds its id too.
    if (this.repository.latest(request.jobId)) {
      throw new HubError(
        'JobAlreadyExists',
        `A job with id ${JSON.stringify(request.jobId)} already exists.`,
      );
    }
    const now = this.now();
    const start = request.startTime && request.startTime > now ? request.startTime : now;
    const job: JobRecord = {
      jobId: request.jobId,
      type: request.type,
      queryCondition: request.queryCondition,
      ...(request.cloudToDeviceMethod ? { cloudToDeviceMethod: request.cloudToDeviceMethod } : {}),
      ...(request.updateTwin ? { updateTwin: request.updateTwin } : {}),
      createdTime: now.toISOString(),
      startTime: start.toISOString(),
      maxExecutionTimeInSeconds: request.maxExecutionTimeInSeconds,
      status: initialStatus(start, now),
    };
    await this.repository.put(job);
    this.logger.info({ jobId: job.jobId, type: job.type, startTime: job.startTime }, 'job created');
    this.schedule(job);
    // IoT Hub answers every new job as `queued`, a future one included; the job's own status (`scheduled`
    // until its start time) is what GET and the job query show ("Schedule jobs on multiple devices").
    return { ...this.document(job), status: 'queued' };
  }

  /** The job document. HubError JobNotFound. */
  get(jobId: string): JsonObject {
    return this.document(this.require(jobId));
  }

  /** Cancels a job that has not ended (an ended job is returned unchanged). HubError JobNotFound. */
  async cancel(jobId: string): Promise<JsonObject> {
    // What it builds on includes a write not yet durable (say, a completion); what it shows never does.
    const job = this.repository.latest(jobId) ?? this.require(jobId);
    if (isTerminal(job.status)) return this.document(this.require(jobId));
    this.disarm(jobId);
    const next = cancelled(job, this.now());
    await this.repository.put(next);
    this.logger.info({ jobId }, 'job cancelled');
    return this.document(next);
  }

  /** Job documents, oldest first, optionally of one type and/or status. */
  list(filter: { type?: JobType; status?: JobStatus } = {}): JsonObject[] {
    return this.repository
      .list()
      .filter((job) => (filter.type ? job.type === filter.type : true))
      .filter((job) => (filter.status ? job.status === filter.status : true))
      .map((job) => this.document(job));
  }

  /** The `devices.jobs` collection: one row per job and targeted device. */
  deviceJobRows(): JsonObject[] {
    return this.repository
      .list()
      .flatMap((job) => toDeviceJobRows(job, this.repository.devicesOf(job.jobId)));
  }

  /** Stops starting work (hub shutting down); call {@link idle} to wait for work in flight. */
  stop(): void {
    this.stopped = true;
    for (const jobId of [...this.timers.keys()]) this.disarm(jobId);
  }

  /** Resolves once every job run (and time-out) has settled and stored its results. */
  async idle(): Promise<void> {
    while (this.runs.size > 0) await Promise.allSettled([...this.runs]);
  }

  private require(jobId: string): JobRecord {
    const job = this.repository.get(jobId);
    if (!job) throw new HubError('JobNotFound', `Job ${JSON.stringify(jobId)} does not exist.`);
    return job;
  }

  private document(job: JobRecord): JsonObject {
    return toJobDocument(job, this.repository.statisticsOf(job));
  }

  private schedule(job: JobRecord): void {
    if (job.status === 'scheduled')
      this.arm(job.jobId, Date.parse(job.startTime), () => this.launch(job.jobId));
    else this.launch(job.jobId);
  }

  private launch(jobId: string): void {
    if (!this.stopped) this.track(jobId, this.run(jobId));
  }

  /** Keeps `work` until it settles, so {@link idle} can wait for it; its failure is logged. */
  private track(jobId: string, work: Promise<void>): void {
    const tracked: Promise<void> = work
      .catch((err: unknown) => this.logger.error({ err, jobId }, 'job work failed'))
      .finally(() => this.runs.delete(tracked));
    this.runs.add(tracked);
  }

  private async run(jobId: string): Promise<void> {
    let job = this.repository.latest(jobId);
    if (!job || isTerminal(job.status)) return;
    if (job.status !== 'running') {
      // The condition was checked at creation; the devices are the ones it selects now.
      job = started(job, this.actions.selectDevices(parseCondition(job.queryCondition)), this.now());
      await this.repository.put(job);
      this.logger.info({ jobId, devices: job.deviceIds?.length }, 'job started');
      // Every await is a point where the hub may have begun to stop: go no further then.
      if (this.stopped) return;
    }
    if (this.now().getTime() >= deadlineOf(job)) return this.timeOut(jobId);
    this.arm(jobId, deadlineOf(job), () => this.track(jobId, this.timeOut(jobId)));
    const running = job;
    const records = this.repository.latestDevicesOf(jobId);
    const pending = (job.deviceIds ?? []).filter((deviceId) => !records.has(deviceId));
    await runBounded(
      pending,
      this.concurrency,
      () => !this.stopped && this.repository.latest(jobId)?.status === 'running',
      (deviceId) => this.runDevice(running, deviceId),
    );
    if (this.stopped) return;
    this.disarm(jobId);
    const current = this.repository.latest(jobId);
    if (current?.status === 'running') {
      await this.repository.put(completed(current, this.now()));
      this.logger.info({ jobId }, 'job completed');
    }
  }

  private async runDevice(job: JobRecord, deviceId: string): Promise<void> {
    // Paced before the device is marked running: a device still waiting for its turn is not started, so a
    // cancel or stop meanwhile leaves it untouched.
    if (!(await this.pace()) || this.stopped || this.repository.latest(job.jobId)?.status !== 'running')
      return;
    const record = deviceStarted(job.jobId, deviceId, this.now());
    await this.repository.putDevice(record);
    // Stopped while the record was being written: the device was not called, and the durable `running`
    // record makes the next start fail it as HubStopped rather than call it twice.
    if (this.stopped) return;
    let outcome: DeviceJobRecord;
    try {
      if (job.cloudToDeviceMethod) {
        const result = await this.actions.invokeMethod(deviceId, job.cloudToDeviceMethod);
        outcome = deviceSucceeded(record, this.now(), {
          status: result.status,
          payload: result.payload as JsonValue,
        });
      } else {
        await this.actions.updateTwin(deviceId, job.updateTwin ?? {});
        outcome = deviceSucceeded(record, this.now());
      }
    } catch (err) {
      outcome = deviceFailed(
        record,
        this.stopped ? HUB_STOPPED : this.deviceError(err, deviceId),
        this.now(),
      );
    }
    // The time limit may have failed this device meanwhile: that verdict stands.
    if (this.repository.latestDevice(job.jobId, deviceId)?.status !== 'running') return;
    await this.repository.putDevice(outcome);
  }

  private async timeOut(jobId: string): Promise<void> {
    this.timers.delete(jobId);
    const job = this.repository.latest(jobId);
    if (job?.status !== 'running') return;
    const now = this.now();
    const writes = [this.repository.put(timedOut(job, now))];
    for (const record of this.repository.latestDevicesOf(jobId).values()) {
      if (record.status === 'running')
        writes.push(this.repository.putDevice(deviceFailed(record, TIMED_OUT, now)));
    }
    await Promise.all(writes);
    this.logger.info({ jobId }, 'job timed out');
  }

  private deviceError(err: unknown, deviceId: string): DeviceJobError {
    if (err instanceof HubError) return { code: err.errorName, description: err.message };
    this.logger.error({ err, deviceId }, 'job work on a device failed');
    return { code: 'ServerError', description: 'The hub failed to process this device.' };
  }

  /** Calls `fn` at `time` (epoch ms), once; replaces the job's previous timer. */
  private arm(jobId: string, time: number, fn: () => void): void {
    this.disarm(jobId);
    // A timer armed after stop() would keep a closed hub's process alive until it fires.
    if (this.stopped) return;
    const delay = time - this.now().getTime();
    const handle = this.clock.setTimeout(
      () => {
        this.timers.delete(jobId);
        if (delay > MAX_TIMER_MS) this.arm(jobId, time, fn);
        else fn();
      },
      Math.max(0, Math.min(delay, MAX_TIMER_MS)),
    );
    this.timers.set(jobId, handle);
  }

  private disarm(jobId: string): void {
    if (!this.timers.has(jobId)) return;
    this.clock.clearTimeout(this.timers.get(jobId));
    this.timers.delete(jobId);
  }
}
