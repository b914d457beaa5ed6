import type { MethodRequest } from '../methods/request';
import type { JsonObject, JsonValue } from '../twin';

export type JobType = 'scheduleDeviceMethod' | 'scheduleUpdateTwin';
export const JOB_TYPES: readonly JobType[] = ['scheduleDeviceMethod', 'scheduleUpdateTwin'];

/** A job's status as IoT Hub spells it (`cancelled`, two l's). */
export type JobStatus = 'queued' | 'scheduled' | 'running' | 'completed' | 'failed' | 'cancelled';
export const JOB_STATUSES: readonly JobStatus[] = [
  'queued',
  'scheduled',
  'running',
  'completed',
  'failed',
  'cancelled',
];

/** One device's status within a job, as IoT Hub spells it in `devices.jobs` (`canceled`, one l). */
export type DeviceJobStatus = 'pending' | 'running' | 'completed' | 'failed' | 'canceled';

/** Why one device failed: an IoT Hub error name and its message. */
export interface DeviceJobError {
  code: string;
  description: string;
}

/** A job as the hub stores it. Records are replaced, never mutated. */
export interface JobRecord {
  jobId: string;
  type: JobType;
  queryCondition: string;
  cloudToDeviceMethod?: MethodRequest;
  updateTwin?: JsonObject;
  createdTime: string;
  /** When the job starts (scheduled) or started; a past or missing request time becomes the creation time. */
  startTime: string;
  endTime?: string;
  maxExecutionTimeInSeconds: number;
  status: JobStatus;
  failureReason?: string;
  statusMessage?: string;
  /** The devices the condition selected when the job started, in twin order; absent before that. */
  deviceIds?: string[];
}

/**
 * One device's part of a job, written when the device's work starts and when it ends. A targeted device
 * without a record has not started: its status follows from the job's (see {@link deviceStatusOf}).
 */
export interface DeviceJobRecord {
  jobId: string;
  deviceId: string;
  status: Exclude<DeviceJobStatus, 'pending' | 'canceled'>;
  startTime: string;
  endTime?: string;
  lastUpdatedTime: string;
  /** The device's answer to a method job: `{status, payload}`. */
  methodResponse?: { status: number; payload: JsonValue };
  error?: DeviceJobError;
}

/** `deviceJobStatistics` of a job document. Devices a cancel stopped count in `deviceCount` only. */
export interface JobStatistics {
  deviceCount: number;
  failedCount: number;
  succeededCount: number;
  runningCount: number;
  pendingCount: number;
}

export function isTerminal(status: JobStatus): boolean {
  return status === 'completed' || status === 'failed' || status === 'cancelled';
}

/** The status of a new job: `scheduled` when it starts later, else `queued` (it starts at once). */
export function initialStatus(startTime: Date, now: Date): JobStatus {
  return startTime.getTime() > now.getTime() ? 'scheduled' : 'queued';
}

/** When a job must be over: its start plus maxExecutionTimeInSeconds. */
export function deadlineOf(job: JobRecord): number {
  return Date.parse(job.startTime) + job.maxExecutionTimeInSeconds * 1000;
}

export function started(job: JobRecord, deviceIds: string[], now: Date): JobRecord {
  return { ...job, status: 'running', startTime: now.toISOString(), deviceIds };
}

export function completed(job: JobRecord, now: Date): JobRecord {
  return { ...job, status: 'completed', endTime: now.toISOString() };
}

export function cancelled(job: JobRecord, now: Date): JobRecord {
  return { ...job, status: 'cancelled', endTime: now.toISOString() };
}

export function timedOut(job: JobRecord, now: Date): JobRecord {
  return {
    ...job,
    status: 'failed',
    endTime: now.toISOString(),
    failureReason: `The job did not finish within maxExecutionTimeInSeconds (${job.maxExecutionTimeInSeconds} s).`,
  };
}

export function deviceStarted(jobId: string, deviceId: string, now: Date): DeviceJobRecord {
  const time = now.toISOString();
  return { jobId, deviceId, status: 'running', startTime: time, lastUpdatedTime: time };
}

export function deviceSucceeded(
  record: DeviceJobRecord,
  now: Date,
  methodResponse?: DeviceJobRecord['methodResponse'],
): DeviceJobRecord {
  const time = now.toISOString();
  return {
    ...record,
    status: 'completed',
    endTime: time,
    lastUpdatedTime: time,
    ...(methodResponse ? { methodResponse } : {}),
  };
}

export function deviceFailed(record: DeviceJobRecord, error: DeviceJobError, now: Date): DeviceJobRecord {
  const time = now.toISOString();
  return { ...record, status: 'failed', endTime: time, lastUpdatedTime: time, error };
}

/** The error of devices whose work was cut short by the job's time limit. */
export const TIMED_OUT: DeviceJobError = {
  code: 'JobTimedOut',
  description: 'The job reached maxExecutionTimeInSeconds before this device was done.',
};

/** The error of devices whose call was in flight when the hub stopped: it may or may not have run. */
export const HUB_STOPPED: DeviceJobError = {
  code: 'HubStopped',
  description: 'The hub stopped while this device was being processed; its outcome is unknown.',
};

/**
 * A targeted device's status and error. Without a record the device has not started: pending while the job
 * runs, canceled once it is cancelled, failed (timed out) once it failed.
 */
export function deviceStatusOf(
  job: JobRecord,
  record: DeviceJobRecord | undefined,
): { status: DeviceJobStatus; error?: DeviceJobError } {
  if (record) return { status: record.status, ...(record.error ? { error: record.error } : {}) };
  if (job.status === 'cancelled') return { status: 'canceled' };
  if (job.status === 'failed') return { status: 'failed', error: TIMED_OUT };
  return { status: 'pending' };
}

/** How many of a job's devices have a record, and of those how many are in each status. */
export interface RecordCounts {
  records: number;
  running: number;
  completed: number;
  failed: number;
}

export const NO_RECORDS: Readonly<RecordCounts> = { records: 0, running: 0, completed: 0, failed: 0 };

/** Adds (`+1`) or removes (`-1`) one record of `status` to `counts`, in place. */
export function countRecord(counts: RecordCounts, status: DeviceJobRecord['status'], sign: 1 | -1): void {
  counts.records += sign;
  counts[status] += sign;
}

/**
 * A job's statistics from its record counts: what {@link statisticsOf} computes, without visiting every
 * device. Devices without a record take their status from the job's (see {@link deviceStatusOf}).
 */
export function statisticsFrom(job: JobRecord, counts: Readonly<RecordCounts>): JobStatistics {
  // Before its start a job targets no device, whatever records a failed start may have left.
  if (!job.deviceIds) return statisticsOf(job, new Map());
  const deviceCount = job.deviceIds.length;
  const unstarted = deviceCount - counts.records;
  return {
    deviceCount,
    failedCount: counts.failed + (job.status === 'failed' ? unstarted : 0),
    succeededCount: counts.completed,
    runningCount: counts.running,
    pendingCount: job.status === 'failed' || job.status === 'cancelled' ? 0 : unstarted,
  };
}

/** Counts a job's devices by status, visiting each (the reference {@link statisticsFrom} is tested against). */
export function statisticsOf(job: JobRecord, records: ReadonlyMap<string, DeviceJobRecord>): JobStatistics {
  const stats: JobStatistics = {
    deviceCount: 0,
    failedCount: 0,
    succeededCount: 0,
    runningCount: 0,
    pendingCount: 0,
  };
  for (const deviceId of job.deviceIds ?? []) {
    stats.deviceCount += 1;
    switch (deviceStatusOf(job, records.get(deviceId)).status) {
      case 'completed':
        stats.succeededCount += 1;
        break;
      case 'failed':
        stats.failedCount += 1;
        break;
      case 'running':
        stats.runningCount += 1;
        break;
      case 'pending':
        stats.pendingCount += 1;
        break;
      case 'canceled':
        break;
    }
  }
  return stats;
}
