import type { HubState } from '../state';
import {
  countRecord,
  type DeviceJobRecord,
  type JobRecord,
  type JobStatistics,
  NO_RECORDS,
  type RecordCounts,
  statisticsFrom,
} from './model';

/** A job's devices: each with a record written or being written, and its durable status if any. */
interface JobIndex {
  durableStatus: Map<string, DeviceJobRecord['status'] | undefined>;
  durableCounts: RecordCounts;
}

/**
 * Jobs and their per-device records in the hub store (`jobs`, `deviceJobs`). Two views, as the store has:
 * `get`/`list`/`devicesOf` are what is durable, the only thing clients are shown (issue #21: a write is
 * visible once durable, a failed one never); `latest`/`latestDevice(s)Of` add the writes not yet durable,
 * for the job service's own decisions (a job being cancelled is not run further). Writes resolve once
 * durable. A job's statistics are counted as its records become durable, so a poll of a large job does not
 * visit every device.
 */
export class JobRepository {
  private readonly jobs = new Map<string, JobIndex>();

  constructor(private readonly store: HubState) {
    for (const record of store.durableValues('deviceJobs'))
      this.durableWrite(record.jobId, record.deviceId, record);
    // The repository lives as long as the store, so the watch is never removed.
    store.watch((collection, key, value) => {
      if (collection !== 'deviceJobs') return;
      const record = value as DeviceJobRecord | undefined;
      // A record names its job and device; only a deletion needs the key read back.
      const [jobId, deviceId] = record
        ? [record.jobId, record.deviceId]
        : (JSON.parse(key) as [string, string]);
      this.durableWrite(jobId, deviceId, record);
    });
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

  /** `deviceJobStatistics` of a durable job, from its durable device records. */
  statisticsOf(job: JobRecord): JobStatistics {
    return statisticsFrom(job, this.jobs.get(job.jobId)?.durableCounts ?? NO_RECORDS);
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
    const { durableStatus } = this.indexOf(record.jobId);
    if (!durableStatus.has(record.deviceId)) durableStatus.set(record.deviceId, undefined);
    return this.store.put('deviceJobs', keyOf(record.jobId, record.deviceId), record);
  }

  private recordsOf(
    jobId: string,
    read: (key: string) => DeviceJobRecord | undefined,
  ): Map<string, DeviceJobRecord> {
    const records = new Map<string, DeviceJobRecord>();
    for (const deviceId of this.jobs.get(jobId)?.durableStatus.keys() ?? []) {
      // Undefined: its first write failed or is not durable yet.
      const record = read(keyOf(jobId, deviceId));
      if (record) records.set(deviceId, record);
    }
    return records;
  }

  private indexOf(jobId: string): JobIndex {
    let index = this.jobs.get(jobId);
    if (!index) {
      index = { durableStatus: new Map(), durableCounts: { ...NO_RECORDS } };
      this.jobs.set(jobId, index);
    }
    return index;
  }

  /** Counts a record that became durable (`undefined`: deleted) in place of the one it replaces. */
  private durableWrite(jobId: string, deviceId: string, record: DeviceJobRecord | undefined): void {
    const index = this.indexOf(jobId);
    const before = index.durableStatus.get(deviceId);
    if (before) countRecord(index.durableCounts, before, -1);
    if (record) countRecord(index.durableCounts, record.status, 1);
    index.durableStatus.set(deviceId, record?.status);
  }
}

function keyOf(jobId: string, deviceId: string): string {
  return JSON.stringify([jobId, deviceId]);
}
