import type { JsonObject } from '../twin';
import { type DeviceJobRecord, deviceStatusOf, type JobRecord, type JobStatistics } from './model';

/** A job as `GET /jobs/v2/{id}` returns it (IoT Hub's JobResponse), with its devices' statistics. */
export function toJobDocument(job: JobRecord, statistics: JobStatistics): JsonObject {
  const method = job.cloudToDeviceMethod;
  return {
    jobId: job.jobId,
    type: job.type,
    status: job.status,
    queryCondition: job.queryCondition,
    createdTime: job.createdTime,
    startTime: job.startTime,
    ...(job.endTime ? { endTime: job.endTime } : {}),
    maxExecutionTimeInSeconds: job.maxExecutionTimeInSeconds,
    ...(method
      ? {
          cloudToDeviceMethod: {
            methodName: method.methodName,
            payload: JSON.parse(method.payloadJson),
            responseTimeoutInSeconds: method.responseTimeoutInSeconds,
            connectTimeoutInSeconds: method.connectTimeoutInSeconds,
          },
        }
      : {}),
    ...(job.updateTwin ? { updateTwin: job.updateTwin } : {}),
    ...(job.failureReason ? { failureReason: job.failureReason } : {}),
    ...(job.statusMessage ? { statusMessage: job.statusMessage } : {}),
    deviceJobStatistics: { ...statistics },
  };
}

/**
 * One row of `devices.jobs` per targeted device (IoT Hub's DeviceJob shape). Times a device does not have
 * yet (a pending device has no start) are left out, so `IS_DEFINED(endTimeUtc)` works in queries.
 */
export function toDeviceJobRows(job: JobRecord, records: ReadonlyMap<string, DeviceJobRecord>): JsonObject[] {
  return (job.deviceIds ?? []).map((deviceId) => {
    const record = records.get(deviceId);
    const { status, error } = deviceStatusOf(job, record);
    return {
      deviceId,
      jobId: job.jobId,
      jobType: job.type,
      status,
      ...(record ? { startTimeUtc: record.startTime } : {}),
      ...(record?.endTime ? { endTimeUtc: record.endTime } : {}),
      createdDateTimeUtc: job.createdTime,
      lastUpdatedDateTimeUtc: record?.lastUpdatedTime ?? job.endTime ?? job.startTime,
      outcome: { deviceMethodResponse: record?.methodResponse ?? null },
      ...(error ? { error: { ...error } } : {}),
    };
  });
}
