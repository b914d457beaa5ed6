import { createServiceClients } from '@iothub-reboot/service-connection';
import type { Client as DeviceClient, DeviceMethodResponse } from 'azure-iot-device';
import { JOB_CONCURRENCY } from '../jobs/service';
import { followJob, type JobDocument, queryAll } from '../test-support/jobs';
import { startTestHub, type TestHub } from '../testing';

const FLEET = 50;
const ONLINE = 40;
const ids = Array.from({ length: FLEET }, (_, i) => `fleet-${String(i).padStart(2, '0')}`);
const site = (i: number) => (i % 5 === 0 ? 'plant-7' : 'plant-1');

describe('IoT Hub jobs through azure-iothub JobClient', () => {
  let t: TestHub;
  // What online devices do with a `reboot` call; tests swap it.
  let behaviour: (deviceId: string, response: DeviceMethodResponse) => void;
  const answer = (deviceId: string, response: DeviceMethodResponse) =>
    void response.send(200, { rebooting: deviceId });

  beforeAll(async () => {
    t = await startTestHub();
    behaviour = answer;
    for (const id of ids) await t.hub.createDevice(id);
    await Promise.all(
      ids.map((id, i) => t.service.registry.updateTwin(id, { tags: { fleet: 'e2e', site: site(i) } }, '*')),
    );
    const clients: DeviceClient[] = await Promise.all(ids.slice(0, ONLINE).map((id) => t.connectDevice(id)));
    clients.forEach((client, i) => {
      const id = ids[i]!;
      client.onDeviceMethod('reboot', (_request, response) => behaviour(id, response));
    });
    await Promise.all(ids.slice(0, ONLINE).map((id) => t.hub.whenDeviceSubscribedToMethods(id)));
  });
  afterAll(() => t.close());

  it('runs a method job over 50 devices; offline ones fail fast with DeviceNotOnline; counts only grow', async () => {
    const { jobStatus } = await t.service.jobClient.scheduleDeviceMethod('job-reboot', "tags.fleet = 'e2e'", {
      methodName: 'reboot',
      payload: { reason: 'e2e' },
      responseTimeoutInSeconds: 10,
    });
    expect(jobStatus).toMatchObject({ jobId: 'job-reboot', type: 'scheduleDeviceMethod', status: 'queued' });

    const seen = await followJob(t.service.jobClient, 'job-reboot');
    const last = seen.at(-1)!;
    expect(last).toMatchObject({
      status: 'completed',
      queryCondition: "tags.fleet = 'e2e'",
      cloudToDeviceMethod: { methodName: 'reboot', payload: { reason: 'e2e' }, responseTimeoutInSeconds: 10 },
      deviceJobStatistics: {
        deviceCount: 50,
        succeededCount: 40,
        failedCount: 10,
        runningCount: 0,
        pendingCount: 0,
      },
    });
    expect(Date.parse(last.endTime as string)).toBeGreaterThanOrEqual(Date.parse(last.startTime as string));
    const done = (job: JobDocument) =>
      job.deviceJobStatistics.succeededCount + job.deviceJobStatistics.failedCount;
    for (const [i, job] of seen.entries())
      if (i > 0) expect(done(job)).toBeGreaterThanOrEqual(done(seen[i - 1]!));

    const rows = await queryAll(
      t.service.registry,
      "SELECT * FROM devices.jobs WHERE devices.jobs.jobId = 'job-reboot'",
      20,
    );
    expect(rows).toHaveLength(50);
    expect(rows.find((row) => row.deviceId === 'fleet-03')).toMatchObject({
      jobId: 'job-reboot',
      jobType: 'scheduleDeviceMethod',
      status: 'completed',
      outcome: { deviceMethodResponse: { status: 200, payload: { rebooting: 'fleet-03' } } },
    });
    const offline = rows.filter((row) => row.status === 'failed');
    expect(offline.map((row) => row.deviceId).sort()).toEqual(ids.slice(ONLINE));
    for (const row of offline) {
      expect(row).toMatchObject({
        error: { code: 'DeviceNotOnline' },
        outcome: { deviceMethodResponse: null },
      });
    }
  });

  it('runs a twin-update job on the devices a tag condition selects, offline ones included', async () => {
    await t.service.jobClient.scheduleTwinUpdate('job-window', "tags.site = 'plant-7'", {
      tags: { window: 'night' },
      properties: { desired: { rebootWindow: '02:00' } },
    });
    const last = (await followJob(t.service.jobClient, 'job-window')).at(-1)!;
    expect(last).toMatchObject({
      status: 'completed',
      type: 'scheduleUpdateTwin',
      deviceJobStatistics: { deviceCount: 10, succeededCount: 10, failedCount: 0 },
    });
    for (const id of ['fleet-05', 'fleet-45']) {
      const { responseBody } = await t.service.registry.getTwin(id);
      expect(responseBody.tags).toMatchObject({ site: 'plant-7', window: 'night' });
      expect(responseBody.properties.desired).toMatchObject({ rebootWindow: '02:00' });
    }
    const { responseBody: other } = await t.service.registry.getTwin('fleet-01');
    expect(other.properties.desired).not.toHaveProperty('rebootWindow');
  });

  it('cancels a running job: devices not started never run, the ones in flight finish', async () => {
    const held: DeviceMethodResponse[] = [];
    let allHeld: () => void = () => undefined;
    const inFlight = new Promise<void>((resolve) => {
      allHeld = resolve;
    });
    behaviour = (_id, response) => {
      held.push(response);
      if (held.length === JOB_CONCURRENCY) allHeld();
    };
    await t.service.jobClient.scheduleDeviceMethod('job-cancel', "tags.fleet = 'e2e'", {
      methodName: 'reboot',
      payload: null,
      responseTimeoutInSeconds: 30,
    });
    await inFlight;
    const { jobStatus } = await t.service.jobClient.cancelJob('job-cancel');
    expect(jobStatus).toMatchObject({
      status: 'cancelled',
      deviceJobStatistics: {
        deviceCount: 50,
        runningCount: JOB_CONCURRENCY,
        pendingCount: 0,
        failedCount: 0,
      },
    });
    behaviour = answer;
    for (const response of held) void response.send(200, null);
    const last = (
      await followJob(t.service.jobClient, 'job-cancel', (job) => job.deviceJobStatistics.runningCount === 0)
    ).at(-1)!;
    expect(last).toMatchObject({
      status: 'cancelled',
      deviceJobStatistics: {
        deviceCount: 50,
        succeededCount: JOB_CONCURRENCY,
        failedCount: 0,
        pendingCount: 0,
      },
    });
    expect(held).toHaveLength(JOB_CONCURRENCY);
    const rows = await queryAll(
      t.service.registry,
      "SELECT deviceId, status FROM devices.jobs WHERE devices.jobs.jobId = 'job-cancel' AND status = 'canceled'",
      100,
    );
    expect(rows).toHaveLength(FLEET - JOB_CONCURRENCY);
  });

  it('selects every device with queryCondition "*", as IoT Hub\'s job examples write it', async () => {
    const { jobStatus } = await t.service.jobClient.scheduleTwinUpdate('job-all', '*', {
      tags: { everyone: true },
    });
    expect(jobStatus).toMatchObject({ status: 'queued', queryCondition: '*' });
    const last = (await followJob(t.service.jobClient, 'job-all')).at(-1)!;
    expect(last).toMatchObject({
      status: 'completed',
      deviceJobStatistics: { deviceCount: FLEET, succeededCount: FLEET, failedCount: 0 },
    });
    const { responseBody } = await t.service.registry.getTwin(ids[FLEET - 1]!);
    expect(responseBody.tags).toMatchObject({ everyone: true });
  });

  it('keeps a job with a future start time scheduled until then, and cancels it', async () => {
    const later = new Date(Date.now() + 3600_000);
    const { jobStatus } = await t.service.jobClient.scheduleDeviceMethod(
      'job-later',
      "tags.site = 'plant-1'",
      { methodName: 'reboot' },
      later,
      600,
    );
    // IoT Hub answers a new job `queued`; GET shows it `scheduled` until its start time.
    expect(jobStatus).toMatchObject({
      status: 'queued',
      startTime: later.toISOString(),
      maxExecutionTimeInSeconds: 600,
      deviceJobStatistics: { deviceCount: 0 },
    });
    await expect(t.service.jobClient.getJob('job-later')).resolves.toMatchObject({
      jobStatus: { status: 'scheduled' },
    });
    await expect(t.service.jobClient.cancelJob('job-later')).resolves.toMatchObject({
      jobStatus: { status: 'cancelled' },
    });
    await expect(t.service.jobClient.getJob('job-later')).resolves.toMatchObject({
      jobStatus: { status: 'cancelled', deviceJobStatistics: { deviceCount: 0 } },
    });
  });

  it('lists jobs through createQuery, filtered by type and status, page by page', async () => {
    // Jobs of its own, scheduled an hour ahead (they touch no device), so other tests' jobs do not matter.
    const later = new Date(Date.now() + 3600_000);
    const none = "deviceId = 'nobody'";
    await t.service.jobClient.scheduleDeviceMethod('list-method', none, { methodName: 'reboot' }, later);
    await t.service.jobClient.scheduleTwinUpdate('list-twin', none, { tags: { a: 1 } }, later);
    await t.service.jobClient.scheduleDeviceMethod('list-cancelled', none, { methodName: 'reboot' }, later);
    await t.service.jobClient.cancelJob('list-cancelled');
    const all = async (
      type?: 'scheduleDeviceMethod' | 'scheduleUpdateTwin',
      status?: 'cancelled' | 'scheduled' | 'queued',
    ) => {
      const query = t.service.jobClient.createQuery(type, status, 2);
      const jobs: string[] = [];
      let pages = 0;
      do {
        const { result } = await query.next(query.continuationToken ?? undefined);
        jobs.push(...(result as JobDocument[]).map((job) => job.jobId));
        pages += 1;
      } while (query.hasMoreResults);
      // Sorted: jobs are listed oldest first, and two created in the same millisecond by id, so the order
      // of these three depends on the machine's speed.
      return { jobs: jobs.filter((id) => id.startsWith('list-')).sort(), pages };
    };
    await expect(all()).resolves.toEqual({
      jobs: ['list-cancelled', 'list-method', 'list-twin'],
      pages: expect.any(Number),
    });
    expect((await all()).pages).toBeGreaterThan(1);
    await expect(all('scheduleUpdateTwin')).resolves.toMatchObject({ jobs: ['list-twin'] });
    await expect(all(undefined, 'cancelled')).resolves.toMatchObject({ jobs: ['list-cancelled'] });
    // The filter matches the job's status, not its creation answer: future jobs are `scheduled`.
    await expect(all(undefined, 'scheduled')).resolves.toMatchObject({ jobs: ['list-method', 'list-twin'] });
    await expect(all(undefined, 'queued')).resolves.toMatchObject({ jobs: [] });
    await expect(all('scheduleDeviceMethod', 'cancelled')).resolves.toMatchObject({
      jobs: ['list-cancelled'],
    });
  });

  it('refuses a taken id (409), a bad condition (400 naming the position), unknown jobs (404)', async () => {
    const later = new Date(Date.now() + 3600_000);
    await t.service.jobClient.scheduleTwinUpdate('job-taken', "tags.site = 'x'", { tags: { a: 1 } }, later);
    await expect(
      t.service.jobClient.scheduleTwinUpdate('job-taken', "tags.site = 'x'", { tags: { a: 1 } }),
    ).rejects.toMatchObject({ name: 'DeviceAlreadyExistsError' });
    const bad = await t.service.jobClient
      .scheduleDeviceMethod('job-bad', "tags.site = 'x' AND", { methodName: 'reboot' })
      .catch((err: unknown) => err);
    expect(bad).toMatchObject({ name: 'ArgumentError' });
    expect((bad as { responseBody: string }).responseBody).toMatch(
      /queryCondition: expected a condition at position 19/,
    );
    await expect(t.service.jobClient.getJob('job-bad')).rejects.toMatchObject({
      response: { statusCode: 404 },
    });
  });

  it('requires ServiceConnect: a registryRead policy gets 401', async () => {
    const readOnly = createServiceClients(t.hub.serviceConnectionString('registryRead'), { ca: t.hub.caPem });
    try {
      await expect(readOnly.jobClient.getJob('job-reboot')).rejects.toMatchObject({
        name: 'UnauthorizedError',
      });
    } finally {
      await readOnly.close();
    }
  });
});
