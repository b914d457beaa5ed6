import type { HubState } from '../state';
import type { DeviceJobRecord, JobRecord } from './model';

/**
 * Jobs and their per-device records in the hub store (`jobs`, `deviceJobs`). Two views, as the store has:
 * `get`/`list`/`devicesOf` are what is durable, the only thing clients are shown (issue #21: a write is
 * visible once durable, a failed one never); `latest`/`latestDevice(s)Of` add the writes not yet durable,
 * for the job service's own decisions (a job being cancelled is not run further). Writes resolve once
 * durable.
 */
export class JobRepository {
  /** The device ids with a record in each job, written or being written. */
  private readonly deviceIds = new Map<string, Set<string>>();

  constructor(private readonly store: HubState) {
    for (const record of store.durableValues('deviceJobs')) this.index(record);
  }

  get(jobId: string): JobRecord | undefined {
    return this.store.durable('jobs', jobId);
  }

  /** The job including a write not yet durable. */
  latest(jobId: string): JobRecord | undefined {
    return this.store.get('jobs', jobId);
  }

  /** Every job, oldest first (store order is not creation order once ids look like numbers). */
  list(): JobRecord[] {
    return this.store
      .durableValues('jobs')
      .sort((a, b) => a.createdTime.localeCompare(b.createdTime) || a.jobId.localeCompare(b.jobId));
  }

  put(job: JobRecord): Promise<void> {
    return this.store.put('jobs', job.jobId, job);
  }

  /** The durable device records of a job, by device id. */
  devicesOf(jobId: string): ReadonlyMap<string, DeviceJobRecord> {
    return this.recordsOf(jobId, (key) => this.store.durable('deviceJobs', key));
  }

  /** The device records of a job including writes not yet durable, by device id. */
  latestDevicesOf(jobId: string): ReadonlyMap<string, DeviceJobRecord> {
    return this.recordsOf(jobId, (key) => this.store.get('deviceJobs', key));
  }

  /** One device's record in a job, including a write not yet durable. */
  latestDevice(jobId: string, deviceId: string): DeviceJobRecord | undefined {
    return this.store.get('deviceJobs', keyOf(jobId, deviceId));
  }

  putDevice(record: DeviceJobRecord): Promise<void> {
    this.index(record);
    return this.store.put('deviceJobs', keyOf(record.jobId, record.deviceId), record);
  }

  private recordsOf(
    jobId: string,
    read: (key: string) => DeviceJobRecord | undefined,
  ): Map<string, DeviceJobRecord> {
    const records = new Map<string, DeviceJobRecord>();
    for (const deviceId of this.deviceIds.get(jobId) ?? []) {
      // Undefined: its first write failed or is not durable yet.
      const record = read(keyOf(jobId, deviceId));
      if (record) records.set(deviceId, record);
    }
    return records;
  }

  private index(record: DeviceJobRecord): void {
    const ids = this.deviceIds.get(record.jobId) ?? new Set<string>();
    ids.add(record.deviceId);
    this.deviceIds.set(record.jobId, ids);
  }
}

function keyOf(jobId: string, deviceId: string): string {
  return JSON.stringify([jobId, deviceId]);
}
