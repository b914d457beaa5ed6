import type { Twin as DeviceTwin, ModuleClient } from 'azure-iot-device';
import type { MqttClient } from 'mqtt';
import { createSasToken } from '../auth/sas';
import { startLocalHub } from '../hub';
import { connackCode, connectRaw } from '../test-support/raw-mqtt';
import { rawRequest } from '../test-support/rest-client';
import { startTestHub, type TestHub } from '../testing';

// Wire facts from azure-iot-sdk-node: the module client id is `<deviceId>/<moduleId>` and the SAS resource
// `<host>/devices/<deviceId>/modules/<moduleId>` (azure-iot-device-mqtt `_getBaseTransportConfig`,
// azure-iot-device `SharedAccessKeyAuthenticationProvider`); the service routes are those of azure-iothub's
// Registry (`/devices/{id}/modules/{mid}`, `/twins/{id}/modules/{mid}`) and DeviceMethod.invokeOnModule.

function reportedUpdate(twin: DeviceTwin, patch: unknown): Promise<void> {
  return new Promise((resolve, reject) =>
    twin.properties.reported.update(patch, (err?: Error) => (err ? reject(err) : resolve())),
  );
}

/** The next desired push the SDK surfaces after the one it emits on registration. */
function nextDesired(twin: DeviceTwin): Promise<Record<string, unknown>> {
  return new Promise((resolve) => {
    let initial = true;
    const listener = (delta: Record<string, unknown>) => {
      if (initial) {
        initial = false;
        return;
      }
      twin.removeListener('properties.desired', listener);
      resolve(delta);
    };
    twin.on('properties.desired', listener);
  });
}

/** What an SDK call rejected with: its HTTP status and IoT Hub error name. */
async function failure(
  call: Promise<unknown>,
): Promise<{ status: number | undefined; body: string; name: string }> {
  try {
    await call;
  } catch (err) {
    const e = err as { name: string; responseBody?: string; response?: { statusCode?: number } };
    return { status: e.response?.statusCode, body: String(e.responseBody ?? ''), name: e.name };
  }
  throw new Error('the call succeeded');
}

describe('module identities, twins and methods with the real SDKs', () => {
  let t: TestHub;
  const raw: MqttClient[] = [];
  let n = 0;
  /** A fresh device id per test, so tests pass in any order. */
  const nextDevice = async () => {
    n += 1;
    const deviceId = `mod-dev-${n}`;
    await t.hub.createDevice(deviceId);
    return deviceId;
  };
  const moduleToken = (deviceId: string, moduleId: string, key: string) =>
    createSasToken(
      `${t.hub.hostName}/devices/${deviceId}/modules/${moduleId}`,
      key,
      Math.floor(Date.now() / 1000) + 3600,
    );
  const connectRawModule = async (deviceId: string, moduleId: string, key: string) => {
    const client = await connectRaw(t.hub, `${deviceId}/${moduleId}`, moduleToken(deviceId, moduleId, key));
    raw.push(client);
    return client;
  };

  beforeAll(async () => {
    t = await startTestHub();
  });
  afterAll(async () => {
    await Promise.all(raw.map((c) => c.endAsync(true)));
    await t.close();
  });

  it('creates, reads, lists, updates and removes modules through Registry', async () => {
    const deviceId = await nextDevice();
    const { registry } = t.service;
    const { responseBody: created } = await registry.addModule({
      deviceId,
      moduleId: 'filter',
      managedBy: 'me',
    });
    expect(created).toMatchObject({
      deviceId,
      moduleId: 'filter',
      managedBy: 'me',
      connectionState: 'Disconnected',
      authentication: { type: 'sas' },
    });
    const keys = created.authentication?.symmetricKey;
    expect(Buffer.from(keys?.primaryKey ?? '', 'base64')).toHaveLength(32);
    expect(keys?.secondaryKey).not.toBe(keys?.primaryKey);

    const { responseBody: read } = await registry.getModule(deviceId, 'filter');
    expect(read).toEqual(created);
    await registry.addModule({ deviceId, moduleId: 'second' });
    const { responseBody: list } = await registry.getModulesOnDevice(deviceId);
    expect(list.map((m) => m.moduleId)).toEqual(['filter', 'second']);

    const newKey = Buffer.alloc(32, 7).toString('base64');
    const { responseBody: updated } = (await registry.updateModule({
      ...read,
      authentication: { symmetricKey: { primaryKey: newKey, secondaryKey: '' } },
    })) as unknown as { responseBody: typeof read };
    expect(updated.etag).not.toBe(read.etag);
    expect(updated.authentication?.symmetricKey?.primaryKey).toBe(newKey);
    expect(updated.authentication?.symmetricKey?.secondaryKey).toBe(keys?.secondaryKey);
    expect(updated.managedBy).toBe('me');

    // A stale etag: 412, the SDK's InvalidEtagError.
    const stale = await failure(registry.updateModule({ ...read }));
    expect(stale).toMatchObject({ status: 412, name: 'InvalidEtagError' });
    // (Registry.removeModule(module) without a callback throws inside azure-iothub 1.16.6: raw DELETE.)
    const path = `/devices/${deviceId}/modules/filter?api-version=2021-04-12`;
    const staleRemove = await rawRequest(t.hub, 'DELETE', path, {
      headers: { 'if-match': `"${read.etag}"` },
    });
    expect(staleRemove.status).toBe(412);

    await registry.removeModule(deviceId, 'filter');
    const gone = await failure(registry.getModule(deviceId, 'filter'));
    expect(gone.status).toBe(404);
    expect(gone.body).toContain('ErrorCode:ModuleNotFound');
    const { responseBody: left } = await registry.getModulesOnDevice(deviceId);
    expect(left.map((m) => m.moduleId)).toEqual(['second']);
  });

  it('refuses a second module of the same id, a missing device and an invalid module id', async () => {
    const deviceId = await nextDevice();
    const { registry } = t.service;
    await registry.addModule({ deviceId, moduleId: 'm' });
    const again = await failure(registry.addModule({ deviceId, moduleId: 'm' }));
    expect(again).toMatchObject({ status: 409, name: 'DeviceAlreadyExistsError' });
    expect(again.body).toContain('ErrorCode:ModuleAlreadyExistsOnDevice');

    const noDevice = await failure(registry.addModule({ deviceId: 'mod-nobody', moduleId: 'm' }));
    expect(noDevice).toMatchObject({ status: 404, name: 'DeviceNotFoundError' });
    expect((await failure(registry.getModulesOnDevice('mod-nobody'))).status).toBe(404);

    const invalid = await failure(registry.addModule({ deviceId, moduleId: 'has space' }));
    expect(invalid).toMatchObject({ status: 400, name: 'ArgumentError' });
    const tooLong = await failure(registry.addModule({ deviceId, moduleId: 'x'.repeat(129) }));
    expect(tooLong.status).toBe(400);

    // "$" starts only IoT Hub's own module ids: a real hub answers `$specialmodule2` with 400
    // "ErrorCode:ArgumentInvalid" and accepts `special$module` (Azure/azure-iot-sdk-csharp#875).
    for (const moduleId of ['$specialmodule2', '$edgeAgent', '$edgeHub']) {
      const reserved = await failure(registry.addModule({ deviceId, moduleId }));
      expect(reserved).toMatchObject({ status: 400, name: 'ArgumentError' });
      expect(reserved.body).toContain('ErrorCode:ArgumentInvalid');
    }
    await expect(registry.addModule({ deviceId, moduleId: 'special$module' })).resolves.toMatchObject({
      responseBody: { moduleId: 'special$module' },
    });
    const { responseBody: listed } = await registry.getModulesOnDevice(deviceId);
    expect(listed.map((m) => m.moduleId).sort()).toEqual(['m', 'special$module']);

    // The body must name the module of the URL.
    const mismatch = await rawRequest(t.hub, 'PUT', `/devices/${deviceId}/modules/a?api-version=2021-04-12`, {
      body: JSON.stringify({ deviceId, moduleId: 'b' }),
    });
    expect(mismatch.status).toBe(400);
  });

  it('deletes the modules, their twins and connections with their device', async () => {
    const deviceId = await nextDevice();
    const gone = await t.hub.createModule(deviceId, 'gone');
    // A raw connection: the SDK would keep retrying the refused reconnect instead of reporting the drop.
    const client = await connectRawModule(deviceId, 'gone', gone.primaryKey);
    const dropped = new Promise<void>((resolve) => client.once('close', () => resolve()));

    await t.service.registry.delete(deviceId);
    await dropped;
    await t.hub.createDevice(deviceId);
    const { responseBody: modules } = await t.service.registry.getModulesOnDevice(deviceId);
    expect(modules).toEqual([]);
    const twin = await failure(t.service.registry.getModuleTwin(deviceId, 'gone'));
    expect(twin.body).toContain('ErrorCode:ModuleNotFound');
  });

  it('shows the module connected while its ModuleClient is open', async () => {
    const deviceId = await nextDevice();
    const module = await t.connectModule(deviceId, 'live');
    const { responseBody: online } = await t.service.registry.getModule(deviceId, 'live');
    expect(online.connectionState).toBe('Connected');
    // The device itself is not connected by its module.
    const { responseBody: device } = await t.service.registry.get(deviceId);
    expect(device.connectionState).toBe('Disconnected');
    await module.close();
  });

  it('keeps module twins apart from the device twin: reported over MQTT, desired from the service', async () => {
    const deviceId = await nextDevice();
    const deviceClient = await t.connectDevice(deviceId);
    const deviceTwin = await deviceClient.getTwin();
    const deviceSaw: Record<string, unknown>[] = [];
    deviceTwin.on('properties.desired', (delta: Record<string, unknown>) => deviceSaw.push(delta));
    const module = await t.connectModule(deviceId, 'sensor');
    const moduleTwin = await module.getTwin();
    // Listening subscribes to desired pushes; the reported update after it on the same connection is
    // answered only once the hub has handled that SUBSCRIBE (the SDK's first emission does not wait for it).
    const pushed = nextDesired(moduleTwin);
    await reportedUpdate(moduleTwin, { temperature: 21 });

    const { responseBody: serviceView } = await t.service.registry.getModuleTwin(deviceId, 'sensor');
    expect(serviceView).toMatchObject({
      deviceId,
      moduleId: 'sensor',
      properties: { reported: { temperature: 21, $version: 2 } },
    });
    const { responseBody: deviceView } = await t.service.registry.getTwin(deviceId);
    expect(deviceView.properties.reported).not.toHaveProperty('temperature');

    const etagBefore = serviceView.etag;
    // Twin.update on a module twin goes to PATCH /twins/{id}/modules/{mid} with its etag.
    await serviceView.update({ tags: { floor: 2 }, properties: { desired: { interval: 10 } } });
    expect(serviceView.tags).toEqual({ floor: 2 });
    expect(await pushed).toMatchObject({ interval: 10, $version: 2 });
    const fresh = await module.getTwin();
    expect(fresh.properties.desired).toMatchObject({ interval: 10 });

    const stale = await failure(
      t.service.registry.updateModuleTwin(deviceId, 'sensor', { tags: { a: 1 } }, etagBefore),
    );
    expect(stale.status).toBe(412);

    const put = await rawRequest(t.hub, 'PUT', `/twins/${deviceId}/modules/sensor?api-version=2021-04-12`, {
      body: JSON.stringify({ tags: { only: true } }),
    });
    expect(put.status).toBe(200);
    expect((put.json as { tags: unknown }).tags).toEqual({ only: true });

    // The device's own twin saw none of it: no push (the SDK's emissions are all of version 1) and no change.
    const deviceNow = await deviceClient.getTwin();
    expect(deviceNow.properties.desired).toEqual({ $version: 1 });
    expect(deviceSaw.every((delta) => !('interval' in delta))).toBe(true);
    const missing = await failure(t.service.registry.getModuleTwin(deviceId, 'nope'));
    expect(missing.body).toContain('ErrorCode:ModuleNotFound');
  });

  it('queries module twins FROM devices.modules, and FROM devices shows devices only', async () => {
    const deviceId = await nextDevice();
    const module = await t.connectModule(deviceId, 'q-module');
    await reportedUpdate(await module.getTwin(), { firmware: 'q-1' });
    const modules = await t.service.registry
      .createQuery(`SELECT * FROM devices.modules WHERE properties.reported.firmware = 'q-1'`)
      .nextAsTwin();
    expect(modules.result.map((twin) => [twin.deviceId, twin.moduleId])).toEqual([[deviceId, 'q-module']]);
    const byId = await t.service.registry
      .createQuery(`SELECT * FROM devices.modules WHERE devices.modules.moduleId = 'q-module'`)
      .next();
    expect(byId.result).toHaveLength(1);
    const devices = await t.service.registry
      .createQuery(`SELECT * FROM devices WHERE deviceId = '${deviceId}'`)
      .next();
    expect(devices.result).toHaveLength(1);
    expect(devices.result[0]).not.toHaveProperty('moduleId');
  });

  it('invokes a method on the module, not on its device, with the device rules for timeouts', async () => {
    const deviceId = await nextDevice();
    const deviceClient = await t.connectDevice(deviceId);
    deviceClient.onDeviceMethod('ping', (_req, res) => void res.send(500, { from: 'device' }));
    const module: ModuleClient = await t.connectModule(deviceId, 'worker');
    module.onMethod('ping', (req, res) => void res?.send(200, { from: 'module', got: req?.payload }));
    await t.hub.whenDeviceSubscribedToMethods(`${deviceId}/worker`);
    await t.hub.whenDeviceSubscribedToMethods(deviceId);

    const { result } = await t.service.client.invokeDeviceMethod(deviceId, 'worker', {
      methodName: 'ping',
      payload: { n: 1 },
    });
    expect(result).toEqual({ status: 200, payload: { from: 'module', got: { n: 1 } } });

    const badTimeout = await failure(
      t.service.client.invokeDeviceMethod(deviceId, 'worker', {
        methodName: 'ping',
        payload: null,
        responseTimeoutInSeconds: 1,
      }),
    );
    expect(badTimeout.status).toBe(400);
    const unknown = await failure(
      t.service.client.invokeDeviceMethod(deviceId, 'nobody', { methodName: 'ping', payload: null }),
    );
    expect(unknown.body).toContain('ErrorCode:ModuleNotFound');

    await t.service.registry.addModule({ deviceId, moduleId: 'offline' });
    const offline = await failure(
      t.service.client.invokeDeviceMethod(deviceId, 'offline', { methodName: 'ping', payload: null }),
    );
    expect(offline.status).toBe(404);
    expect(offline.body).toContain('DeviceNotOnline');
  });

  it('refuses module keys on another module, device tokens on a module, module tokens as the device', async () => {
    const deviceId = await nextDevice();
    const a = await t.hub.createModule(deviceId, 'a');
    const b = await t.hub.createModule(deviceId, 'b');
    const device = t.hub.listDevices().find((d) => d.deviceId === deviceId);
    const deviceKey = device?.primaryKey ?? '';
    const devToken = createSasToken(
      `${t.hub.hostName}/devices/${deviceId}`,
      deviceKey,
      Math.floor(Date.now() / 1000) + 3600,
    );
    // Module a's key signing a token for module b.
    expect(
      await connackCode(connectRaw(t.hub, `${deviceId}/b`, moduleToken(deviceId, 'b', a.primaryKey))),
    ).toBe(4);
    // The device's own token, and the device key signing for the module's resource.
    expect(await connackCode(connectRaw(t.hub, `${deviceId}/a`, devToken))).toBe(4);
    expect(await connackCode(connectRaw(t.hub, `${deviceId}/a`, moduleToken(deviceId, 'a', deviceKey)))).toBe(
      4,
    );
    // A module's token cannot open the device.
    expect(await connackCode(connectRaw(t.hub, deviceId, moduleToken(deviceId, 'a', a.primaryKey)))).toBe(4);
    // Unknown module, module of an unknown device.
    expect(
      await connackCode(connectRaw(t.hub, `${deviceId}/c`, moduleToken(deviceId, 'c', b.primaryKey))),
    ).toBe(5);
    // The right key works.
    expect(
      await connackCode(connectRaw(t.hub, `${deviceId}/b`, moduleToken(deviceId, 'b', b.primaryKey))),
    ).toBe(0);
    // Module of a deleted device: refused, even with the key it had.
    await t.service.registry.delete(deviceId);
    expect(
      await connackCode(connectRaw(t.hub, `${deviceId}/b`, moduleToken(deviceId, 'b', b.primaryKey))),
    ).toBe(5);
  });

  it("refuses a disabled device's modules", async () => {
    const deviceId = await nextDevice();
    const m = await t.hub.createModule(deviceId, 'm');
    const { responseBody: device } = await t.service.registry.get(deviceId);
    await t.service.registry.update({ ...device, status: 'disabled' });
    expect(
      await connackCode(connectRaw(t.hub, `${deviceId}/m`, moduleToken(deviceId, 'm', m.primaryKey))),
    ).toBe(5);
  });

  it("keeps a module to its own topics, and a second connection of one module drops only that module's", async () => {
    const deviceId = await nextDevice();
    const a = await t.hub.createModule(deviceId, 'a');
    await t.hub.createModule(deviceId, 'b');
    const client = await connectRawModule(deviceId, 'a', a.primaryKey);
    const refusal = await client
      .subscribeAsync([
        '$iothub/methods/POST/#',
        `devices/${deviceId}/modules/a/inputs/#`,
        `devices/${deviceId}/modules/b/inputs/#`,
        `devices/${deviceId}/messages/devicebound/#`,
      ])
      .catch((err: { packet?: { granted?: number[] } }) => err);
    expect((refusal as { packet?: { granted?: number[] } }).packet?.granted).toEqual([0, 0, 128, 128]);

    // Its own telemetry topic is accepted and counted under the module's client id.
    await client.publishAsync(`devices/${deviceId}/modules/a/messages/events/`, 'x');
    const deviceClient = await t.connectDevice(deviceId);
    const deviceTwin = await deviceClient.getTwin();
    expect(t.hub.telemetryCount(`${deviceId}/a`)).toBe(1);

    // A second connection of module a takes over; the device's connection stays.
    const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
    const second = await connectRawModule(deviceId, 'a', a.primaryKey);
    await closed;
    await deviceTwin.get();

    // Publishing as the device (its telemetry topic) disconnects the module.
    const cut = new Promise<void>((resolve) => second.once('close', () => resolve()));
    second.publish(`devices/${deviceId}/messages/events/`, 'spoof');
    await cut;
    expect(t.hub.telemetryCount(deviceId)).toBe(0);
  });

  it('records the model id a device or module announces in its twin, queryable', async () => {
    const deviceId = await nextDevice();
    const modelId = 'dtmi:com:example:Thermostat;1';
    // setOptions replaces the earlier options: the CA goes along with the model id.
    const device = await t.deviceClient(t.hub.deviceConnectionString(deviceId));
    await device.setOptions({ ca: t.hub.caPem, modelId });
    await device.open();
    await t.hub.createModule(deviceId, 'pnp');
    const module = await t.moduleClient(t.hub.moduleConnectionString(deviceId, 'pnp'));
    await module.setOptions({ ca: t.hub.caPem, modelId: 'dtmi:com:example:Module;2' });
    await module.open();
    // The twin GET is answered after the CONNECT's bookkeeping.
    await device.getTwin();
    await module.getTwin();

    const { responseBody: twin } = await t.service.registry.getTwin(deviceId);
    expect(twin.modelId).toBe(modelId);
    const { responseBody: moduleTwin } = await t.service.registry.getModuleTwin(deviceId, 'pnp');
    expect(moduleTwin.modelId).toBe('dtmi:com:example:Module;2');
    const found = await t.service.registry
      .createQuery(`SELECT deviceId FROM devices WHERE modelId = '${modelId}'`)
      .next();
    expect(found.result).toEqual([{ deviceId }]);
    const modules = await t.service.registry
      .createQuery(`SELECT * FROM devices.modules WHERE modelId = 'dtmi:com:example:Module;2'`)
      .next();
    expect(modules.result).toHaveLength(1);
  });
});

describe('modules across a hub restart', () => {
  it('keeps module identities, keys and module twins on disk', async () => {
    const { mkdtemp, rm } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dataDir = await mkdtemp(join(tmpdir(), 'local-hub-modules-'));
    try {
      const first = await startLocalHub({ dataDir, mqttPort: 0, httpsPort: 0 });
      await first.createDevice('keep');
      const created = await first.createModule('keep', 'kept');
      await first.close();

      const t = await startTestHub({ dataDir, inMemory: false });
      try {
        expect(t.hub.moduleConnectionString('keep', 'kept')).toBe(
          created.connectionString.replace(/:\d+$/, `:${t.hub.mqttPort}`),
        );
        const module = await t.moduleClient(t.hub.moduleConnectionString('keep', 'kept'));
        await module.open();
        await reportedUpdate(await module.getTwin(), { after: 'restart' });
        const { responseBody } = await t.service.registry.getModuleTwin('keep', 'kept');
        expect(responseBody.properties.reported).toMatchObject({ after: 'restart' });
      } finally {
        await t.close();
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
