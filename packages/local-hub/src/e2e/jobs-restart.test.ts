import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServiceClients, type ServiceClients } from '@iothub-reboot/service-connection';
import { Client as DeviceClient } from 'azure-iot-device';
import { Mqtt } from 'azure-iot-device-mqtt';
import { type LocalHub, startLocalHub } from '../hub';
import { JOB_CONCURRENCY } from '../jobs/service';
import { FileBackend } from '../persistence/file-backend';
import { followJob, queryAll } from '../test-support/jobs';
import { rawRequest } from '../test-support/rest-client';
import { slowDurability } from '../test-support/slow-disk';

const COUNT = 40;
const ids = Array.from({ length: COUNT }, (_, i) => `r-${String(i).padStart(2, '0')}`);

// The slow disk is the regression test of a CI hang: with ~50 ms per fdatasync the 32 "running" device
// records were still queued when close() ran, and each job step then went on to invoke its device on a
// closed hub and waited out its 300 s connect timeout, so close() never finished.
describe.each([
  { disk: 'a normal disk', fsyncDelayMs: 0 },
  { disk: 'a disk with slow fsync', fsyncDelayMs: 50 },
])('jobs across a hub restart on $disk', ({ fsyncDelayMs }) => {
  let dir: string;
  let hub: LocalHub | undefined;
  let service: ServiceClients | undefined;
  const devices: DeviceClient[] = [];
  const start = () =>
    startLocalHub({
      dataDir: dir,
      mqttPort: 0,
      httpsPort: 0,
      ...(fsyncDelayMs > 0
        ? { storage: slowDurability(new FileBackend(join(dir, 'state')), fsyncDelayMs) }
        : {}),
    });
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'local-hub-jobs-'));
  });
  afterEach(async () => {
    await Promise.allSettled(devices.map((d) => d.close()));
    await service?.close();
    await hub?.close();
    hub = undefined;
    service = undefined;
    devices.length = 0;
    rmSync(dir, { recursive: true, force: true });
  });

  it('fails the calls in flight at the stop, resumes the devices not yet started, keeps scheduled jobs', async () => {
    hub = await start();
    for (const id of ids) await hub.createDevice(id);
    // JobClient cannot send connectTimeoutInSeconds; the REST API takes it. Offline devices then keep the
    // job's calls in flight, waiting for them to connect.
    const put = await rawRequest(hub, 'PUT', '/jobs/v2/job-resume?api-version=2021-04-12', {
      body: JSON.stringify({
        jobId: 'job-resume',
        type: 'scheduleDeviceMethod',
        queryCondition: "STARTSWITH(deviceId, 'r-')",
        cloudToDeviceMethod: {
          methodName: 'reboot',
          payload: null,
          responseTimeoutInSeconds: 10,
          connectTimeoutInSeconds: 300,
        },
        maxExecutionTimeInSeconds: 600,
      }),
    });
    expect(put.status).toBe(200);
    service = createServiceClients(hub.serviceConnectionString(), { ca: hub.caPem });
    const later = new Date(Date.now() + 3600_000);
    await service.jobClient.scheduleTwinUpdate('job-later', "deviceId = 'r-00'", { tags: { a: 1 } }, later);
    await followJob(
      service.jobClient,
      'job-resume',
      (job) => job.deviceJobStatistics.runningCount === JOB_CONCURRENCY,
    );
    await service.close();
    await hub.close();

    hub = await start();
    service = createServiceClients(hub.serviceConnectionString(), { ca: hub.caPem });
    const { jobStatus } = await service.jobClient.getJob('job-resume');
    expect(jobStatus).toMatchObject({
      status: 'running',
      deviceJobStatistics: { deviceCount: COUNT, failedCount: JOB_CONCURRENCY, succeededCount: 0 },
    });
    await expect(service.jobClient.getJob('job-later')).resolves.toMatchObject({
      jobStatus: { status: 'scheduled', startTime: later.toISOString() },
    });

    const currentHub = hub;
    await Promise.all(
      ids.map(async (id) => {
        const client = DeviceClient.fromConnectionString(currentHub.deviceConnectionString(id), Mqtt);
        devices.push(client);
        await client.setOptions({ ca: currentHub.caPem });
        await client.open();
        client.onDeviceMethod('reboot', (_request, response) => void response.send(200, { ok: true }));
      }),
    );
    const last = (await followJob(service.jobClient, 'job-resume')).at(-1)!;
    expect(last).toMatchObject({
      status: 'completed',
      deviceJobStatistics: {
        deviceCount: COUNT,
        failedCount: JOB_CONCURRENCY,
        succeededCount: COUNT - JOB_CONCURRENCY,
        runningCount: 0,
        pendingCount: 0,
      },
    });
    const stopped = await queryAll(
      service.registry,
      "SELECT * FROM devices.jobs WHERE devices.jobs.jobId = 'job-resume' AND devices.jobs.status = 'failed'",
      100,
    );
    expect(stopped).toHaveLength(JOB_CONCURRENCY);
    for (const row of stopped) expect(row).toMatchObject({ error: { code: 'HubStopped' } });
  });
});
