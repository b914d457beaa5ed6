import type { MqttClient } from 'mqtt';
import { deviceConnectionString, moduleConnectionString } from '../connection-strings';
import { METHODS_FILTER } from '../mqtt/topics';
import { MemoryBackend, type StorageBackend } from '../persistence/backend';
import { heldDisk, writesTo } from '../test-support/held-disk';
import { connectRaw, deviceToken } from '../test-support/raw-mqtt';
import { startTestHub, type TestHub } from '../testing';

// Issue #21: "a write is visible only once it is durable". Each test holds one journal append between
// "accepted" and "durable" (the held-disk seam) and reads through the real azure-iothub clients meanwhile:
// nothing of the held write may show. Twins had this already (src/e2e/twins); these are the device and
// module identities (create, update, delete, bulk), jobs and their per-device records, and MQTT sessions.

const later = () => new Date(Date.now() + 3600_000);

describe('a write is visible only once durable', () => {
  let t: TestHub | undefined;
  let release: (() => void) | undefined;
  const raw: MqttClient[] = [];
  afterEach(async () => {
    // A test that failed while a write was held must not leave the hub's close waiting for it.
    release?.();
    await Promise.all(raw.splice(0).map((c) => c.endAsync(true)));
    await t?.close();
    t = undefined;
  });

  async function start() {
    const disk = heldDisk(new MemoryBackend());
    t = await startTestHub({ storage: disk.backend });
    release = disk.release;
    return { t, disk };
  }

  /** A raw MQTT connection with a persistent session (clean=false, as the device SDK connects). */
  async function connectDevice(t: TestHub, deviceId: string) {
    const device =
      t.hub.listDevices().find((d) => d.deviceId === deviceId) ?? (await t.hub.createDevice(deviceId));
    const client = await connectRaw(t.hub, deviceId, deviceToken(t.hub, deviceId, device.primaryKey));
    raw.push(client);
    return client;
  }

  it('a subscription of a persistent session is granted (SUBACK) only once the session is durable', async () => {
    const { t, disk } = await start();
    const client = await connectDevice(t, 'vis-sub');
    const held = disk.hold(writesTo('sessions'));
    let acked = false;
    const subscribed = client.subscribeAsync(METHODS_FILTER, { qos: 1 }).finally(() => {
      acked = true;
    });
    await held;
    // A round trip through the hub on another connection: a SUBACK written before the hold (the old order:
    // SUBACK, then the 'subscribe' event stored the session) has reached this process's client by now.
    await t.service.registry.get('vis-sub');
    expect(acked).toBe(false);
    disk.release();
    await expect(subscribed).resolves.toEqual([{ topic: METHODS_FILTER, qos: 1 }]);
    // What was granted is on disk: a hub restarted on this store would restore it.
    expect(t.hub.isDeviceSubscribedToMethods('vis-sub')).toBe(true);
  });

  it('a subscription the store cannot write is refused (SUBACK 0x80), the connection stays', async () => {
    // The sessions write fails as on a full disk; everything else is written.
    let failing = true;
    const inner = new MemoryBackend();
    const backend: StorageBackend = {
      load: () => inner.load(),
      append: async (lines) => {
        if (failing && writesTo('sessions')(lines)) {
          throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
        }
        await inner.append(lines);
      },
      compact: (snapshot) => inner.compact(snapshot),
      close: () => inner.close(),
    };
    t = await startTestHub({ storage: backend });
    const client = await connectDevice(t, 'vis-sub-fail');
    // mqtt.js 5 rejects a SUBACK failure code, with the SUBACK (mqtt.js 4, the SDK's, resolves instead).
    await expect(client.subscribeAsync(METHODS_FILTER, { qos: 1 })).rejects.toMatchObject({
      packet: { cmd: 'suback', granted: [128] },
    });
    expect(client.connected).toBe(true);
    expect(t.hub.isDeviceSubscribedToMethods('vis-sub-fail')).toBe(false);
    // Once the disk takes writes again, the same connection subscribes as usual.
    failing = false;
    await expect(client.subscribeAsync(METHODS_FILTER, { qos: 1 })).resolves.toEqual([
      { topic: METHODS_FILTER, qos: 1 },
    ]);
    expect(t.hub.isDeviceSubscribedToMethods('vis-sub-fail')).toBe(true);
  });

  it('a device being created is not found until its identity is durable', async () => {
    const { t, disk } = await start();
    const held = disk.hold(writesTo('devices'));
    const created = t.service.registry.create({ deviceId: 'vis-create' });
    await held;
    await expect(t.service.registry.get('vis-create')).rejects.toMatchObject({ name: 'DeviceNotFoundError' });
    const { responseBody: all } = await t.service.registry.list();
    expect(all.map((d) => d.deviceId)).not.toContain('vis-create');
    // Its keys are not usable yet either: the connection string the hub hands out needs the device.
    expect(t.hub.listDevices().map((d) => d.deviceId)).not.toContain('vis-create');
    disk.release();
    await created;
    await expect(t.service.registry.get('vis-create')).resolves.toMatchObject({
      responseBody: { deviceId: 'vis-create' },
    });
  });

  it('a device being created cannot connect until its identity is durable', async () => {
    const { t, disk } = await start();
    const key = Buffer.alloc(32, 7).toString('base64');
    const held = disk.hold(writesTo('devices'));
    const created = t.service.registry.create({
      deviceId: 'vis-connect',
      authentication: { symmetricKey: { primaryKey: key, secondaryKey: key } },
    });
    await held;
    const client = await t.deviceClient(
      deviceConnectionString(t.hub.hostName, 'vis-connect', key, { host: '127.0.0.1', port: t.hub.mqttPort }),
    );
    // CONNACK 5 (not authorized), as for a device that does not exist.
    await expect(client.open()).rejects.toMatchObject({ name: 'UnauthorizedError' });
    disk.release();
    await created;
    await expect(client.open()).resolves.toBeDefined();
  });

  it('a device update shows the old status and etag until durable', async () => {
    const { t, disk } = await start();
    const { responseBody: before } = await t.service.registry.create({ deviceId: 'vis-update' });
    const held = disk.hold(writesTo('devices'));
    const updated = t.service.registry.update({ deviceId: 'vis-update', status: 'disabled' });
    await held;
    const { responseBody: shown } = await t.service.registry.get('vis-update');
    expect(shown).toMatchObject({ status: 'enabled', etag: before.etag });
    disk.release();
    await updated;
    await expect(t.service.registry.get('vis-update')).resolves.toMatchObject({
      responseBody: { status: 'disabled' },
    });
  });

  it('a device being deleted is still there until the deletion is durable', async () => {
    const { t, disk } = await start();
    await t.service.registry.create({ deviceId: 'vis-delete' });
    const held = disk.hold(writesTo('devices'));
    const deleted = t.service.registry.delete('vis-delete');
    await held;
    await expect(t.service.registry.get('vis-delete')).resolves.toMatchObject({
      responseBody: { deviceId: 'vis-delete' },
    });
    disk.release();
    await deleted;
    await expect(t.service.registry.get('vis-delete')).rejects.toMatchObject({ name: 'DeviceNotFoundError' });
  });

  it('devices of a bulk create appear only once durable', async () => {
    const { t, disk } = await start();
    const held = disk.hold(writesTo('devices'));
    const added = t.service.registry.addDevices([{ deviceId: 'vis-bulk-1' }, { deviceId: 'vis-bulk-2' }]);
    await held;
    for (const deviceId of ['vis-bulk-1', 'vis-bulk-2']) {
      await expect(t.service.registry.get(deviceId)).rejects.toMatchObject({ name: 'DeviceNotFoundError' });
    }
    disk.release();
    await added;
    const { responseBody: all } = await t.service.registry.list();
    expect(all.map((d) => d.deviceId).sort()).toEqual(['vis-bulk-1', 'vis-bulk-2']);
  });

  it('a module being created is not found, listed or connectable until its identity is durable', async () => {
    const { t, disk } = await start();
    await t.hub.createDevice('vis-mod-device');
    const { registry } = t.service;
    const key = Buffer.alloc(32, 9).toString('base64');
    const held = disk.hold(writesTo('modules'));
    const created = registry.addModule({
      deviceId: 'vis-mod-device',
      moduleId: 'vis-module',
      authentication: { symmetricKey: { primaryKey: key, secondaryKey: key } },
    });
    await held;
    await expect(registry.getModule('vis-mod-device', 'vis-module')).rejects.toMatchObject({
      response: { statusCode: 404 },
    });
    await expect(registry.getModuleTwin('vis-mod-device', 'vis-module')).rejects.toMatchObject({
      response: { statusCode: 404 },
    });
    const { responseBody: listed } = await registry.getModulesOnDevice('vis-mod-device');
    expect(listed).toEqual([]);
    const client = await t.moduleClient(
      moduleConnectionString(t.hub.hostName, 'vis-mod-device', 'vis-module', key, {
        host: '127.0.0.1',
        port: t.hub.mqttPort,
      }),
    );
    await expect(client.open()).rejects.toMatchObject({ name: 'UnauthorizedError' });
    disk.release();
    await created;
    await expect(registry.getModule('vis-mod-device', 'vis-module')).resolves.toMatchObject({
      responseBody: { moduleId: 'vis-module' },
    });
    await expect(client.open()).resolves.toBeDefined();
  });

  it('a module update shows the old etag until durable, a deleted module stays until durable', async () => {
    const { t, disk } = await start();
    await t.hub.createDevice('vis-mod-update');
    const { registry } = t.service;
    const { responseBody: before } = await registry.addModule({ deviceId: 'vis-mod-update', moduleId: 'm' });
    let held = disk.hold(writesTo('modules'));
    const updated = registry.updateModule({ ...before, managedBy: 'someone' });
    await held;
    await expect(registry.getModule('vis-mod-update', 'm')).resolves.toMatchObject({
      responseBody: { etag: before.etag, managedBy: null },
    });
    disk.release();
    await updated;
    const { responseBody: after } = await registry.getModule('vis-mod-update', 'm');
    expect(after).toMatchObject({ managedBy: 'someone' });
    expect(after.etag).not.toBe(before.etag);

    held = disk.hold(writesTo('modules'));
    const removed = registry.removeModule('vis-mod-update', 'm');
    await held;
    await expect(registry.getModule('vis-mod-update', 'm')).resolves.toMatchObject({
      responseBody: { moduleId: 'm' },
    });
    disk.release();
    await removed;
    await expect(registry.getModule('vis-mod-update', 'm')).rejects.toMatchObject({
      response: { statusCode: 404 },
    });
  });

  it('a job is not found until durable, and its cancellation shows only once durable', async () => {
    const { t, disk } = await start();
    const { jobClient } = t.service;
    let held = disk.hold(writesTo('jobs'));
    const scheduled = jobClient.scheduleTwinUpdate(
      'vis-job',
      "deviceId = 'none'",
      { tags: { a: 1 } },
      later(),
    );
    await held;
    await expect(jobClient.getJob('vis-job')).rejects.toMatchObject({ response: { statusCode: 404 } });
    disk.release();
    await scheduled;
    await expect(jobClient.getJob('vis-job')).resolves.toMatchObject({ jobStatus: { status: 'scheduled' } });

    held = disk.hold(writesTo('jobs'));
    const cancelled = jobClient.cancelJob('vis-job');
    await held;
    await expect(jobClient.getJob('vis-job')).resolves.toMatchObject({ jobStatus: { status: 'scheduled' } });
    disk.release();
    await cancelled;
    await expect(jobClient.getJob('vis-job')).resolves.toMatchObject({ jobStatus: { status: 'cancelled' } });
  });

  it("a job's device record counts only once durable", async () => {
    const { t, disk } = await start();
    await t.service.registry.create({ deviceId: 'vis-job-device' });
    const held = disk.hold(writesTo('deviceJobs'));
    await t.service.jobClient.scheduleTwinUpdate(
      'vis-running',
      "deviceId = 'vis-job-device'",
      { tags: { a: 1 } },
      new Date(),
    );
    // The job has started (durable, with its device) and is writing the device's `running` record.
    await held;
    const { jobStatus: result } = await t.service.jobClient.getJob('vis-running');
    expect(result).toMatchObject({ status: 'running' });
    expect((result as { deviceJobStatistics: object }).deviceJobStatistics).toMatchObject({
      runningCount: 0,
      pendingCount: 1,
    });
    disk.release();
    await t.hub.close();
  });
});
