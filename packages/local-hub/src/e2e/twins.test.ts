import type { Client as DeviceClient, Twin as DeviceTwin } from 'azure-iot-device';
import { rawRequest } from '../test-support/rest-client';
import { startTestHub, type TestHub } from '../testing';

function reportedUpdate(twin: DeviceTwin, patch: unknown): Promise<void> {
  return new Promise((resolve, reject) =>
    twin.properties.reported.update(patch, (err?: Error) => (err ? reject(err) : resolve())),
  );
}

/** The next desired-properties push the device SDK surfaces (`$version` included) that `wanted` accepts. */
function nextDesired(
  twin: DeviceTwin,
  wanted: (delta: Record<string, unknown>) => boolean = () => true,
): Promise<Record<string, unknown>> {
  return new Promise((resolve) => {
    let initial = true;
    const listener = (delta: Record<string, unknown>) => {
      // The SDK emits the current desired state once on registration; skip that one.
      if (initial) {
        initial = false;
        return;
      }
      if (!wanted(delta)) return;
      twin.removeListener('properties.desired', listener);
      resolve(delta);
    };
    twin.on('properties.desired', listener);
  });
}

describe('device twins with the real SDKs', () => {
  let t: TestHub;
  // Every test has a device of its own, so none depends on what another left in a twin (any order passes).
  let deviceId: string;
  let device: DeviceClient;
  let twin: DeviceTwin;
  let devices = 0;
  beforeAll(async () => {
    t = await startTestHub();
  });
  beforeEach(async () => {
    devices += 1;
    deviceId = `twin-${devices}`;
    device = await t.connectDevice(deviceId);
    twin = await device.getTwin();
  });
  afterAll(() => t.close());

  it('reports properties, with null deleting, and the service reads them with versions', async () => {
    await reportedUpdate(twin, { firmware: '1.0', nested: { a: 1, b: 2 } });
    await reportedUpdate(twin, { nested: { b: null } });
    const { responseBody } = await t.service.registry.getTwin(deviceId);
    expect(responseBody.properties.reported).toMatchObject({
      firmware: '1.0',
      nested: { a: 1 },
      $version: 3,
    });
    expect(responseBody.properties.reported.nested).not.toHaveProperty('b');
    expect(responseBody.properties.reported.$metadata.$lastUpdated).toEqual(expect.any(String));
  });

  it('fails a reported patch IoT Hub would refuse, with the SDK raising the error', async () => {
    await expect(reportedUpdate(twin, { 'bad.key': 1 })).rejects.toThrow();
    await expect(reportedUpdate(twin, { big: 'x'.repeat(5000) })).rejects.toThrow();
  });

  it('pushes desired properties the service patches, and the device GET sees them', async () => {
    const pushed = nextDesired(twin);
    const { responseBody: before } = await t.service.registry.getTwin(deviceId);
    await t.service.registry.updateTwin(
      deviceId,
      { properties: { desired: { interval: 5 } }, tags: { site: 'lab' } },
      before.etag,
    );
    const delta = await pushed;
    expect(delta).toMatchObject({ interval: 5, $version: 2 });

    const fresh = await device.getTwin();
    expect(fresh.properties.desired).toMatchObject({ interval: 5, $version: 2 });
  });

  it('answers 412 to a stale If-Match etag', async () => {
    const { responseBody: current } = await t.service.registry.getTwin(deviceId);
    await t.service.registry.updateTwin(deviceId, { tags: { a: 1 } }, current.etag);
    await expect(
      t.service.registry.updateTwin(deviceId, { tags: { a: 2 } }, current.etag),
    ).rejects.toMatchObject({
      name: 'InvalidEtagError',
    });
  });

  it('replaces tags and desired with PUT /twins/{id}', async () => {
    await t.service.registry.updateTwin(deviceId, { properties: { desired: { interval: 5 } } }, '*');
    const pushed = nextDesired(twin, (delta) => 'mode' in delta);
    const put = await rawRequest(t.hub, 'PUT', `/twins/${deviceId}?api-version=2021-04-12`, {
      body: JSON.stringify({ tags: { only: true }, properties: { desired: { mode: 'b' } } }),
      headers: { 'if-match': '*' },
    });
    expect(put.status).toBe(200);
    const { responseBody: after } = await t.service.registry.getTwin(deviceId);
    expect(after.tags).toEqual({ only: true });
    expect(after.properties.desired).toMatchObject({ mode: 'b' });
    expect(after.properties.desired).not.toHaveProperty('interval');
    expect(await pushed).toMatchObject({ mode: 'b', interval: null });
  });

  it('clears every desired property on desired: null (PATCH through the SDK, and PUT), telling the device', async () => {
    // The SDK subscribes to desired updates with its first listener and then emits the current state:
    // updates before that would not reach it.
    await new Promise<void>((resolve) => twin.once('properties.desired', () => resolve()));
    await t.service.registry.updateTwin(deviceId, { properties: { desired: { a: 1, b: { c: 2 } } } }, '*');
    const cleared = nextDesired(twin, (delta) => delta.a === null);
    await t.service.registry.updateTwin(deviceId, { properties: { desired: null } }, '*');
    const { responseBody } = await t.service.registry.getTwin(deviceId);
    expect(Object.keys(responseBody.properties.desired).sort()).toEqual(['$metadata', '$version']);
    expect(await cleared).toMatchObject({ a: null, b: null });

    await t.service.registry.updateTwin(deviceId, { properties: { desired: { d: 4 } } }, '*');
    const put = await rawRequest(t.hub, 'PUT', `/twins/${deviceId}?api-version=2021-04-12`, {
      body: JSON.stringify({ properties: { desired: null } }),
      headers: { 'if-match': '*' },
    });
    expect(put.status).toBe(200);
    const { responseBody: afterPut } = await t.service.registry.getTwin(deviceId);
    expect(afterPut.properties.desired).not.toHaveProperty('d');
  });

  it('reports 404 DeviceNotFound for the twin of an unknown device', async () => {
    await expect(t.service.registry.getTwin('nobody')).rejects.toMatchObject({ name: 'DeviceNotFoundError' });
  });
});
