import type { HubState } from '../state';
import type { DeviceJobRecord, JobRecord } from './model';

/**
 * Jobs and their per-device records in the hub store (`jobs`, `deviceJobs`), with an in-memory index of
 * each job's device records. Writes resolve once durable.
 */
export class JobRepository {
  private readonly devices = new Map<string, Map<string, DeviceJobRecord>>();

  constructor(private readonly store: HubState) {
    for (const record of store.values('deviceJobs')) this.index(record);
  }

  get(jobId: string): JobRecord | undefined {
    return this.store.get('jobs', jobId);
  }

  /** Every job, oldest first (store order is not creation order once ids look like numbers). */
  list(): JobRecord[] {
    return this.store
      .values('jobs')
      .sort((a, b) => a.createdTime.localeCompare(b.createdTime) || a.jobId.localeCompare(b.jobId));
  }

  put(job: JobRecord): Promise<void> {
    return this.store.put('jobs', job.jobId, job);
  }

  /** The device records of a job, by device id. */
  devicesOf(jobId: string): ReadonlyMap<string, DeviceJobRecord> {
    return this.devices.get(jobId) ?? new Map();
  }

  putDevice(record: DeviceJobRecord): Promise<void> {
    this.index(record);
    return this.store.put('deviceJobs', JSON.stringify([record.jobId, record.deviceId]), record);
  }

  private index(record: DeviceJobRecord): void {
    const records = this.devices.get(record.jobId) ?? new Map<string, DeviceJobRecord>();
    records.set(record.deviceId, record);
    this.devices.set(record.jobId, records);
  }
}
