import { connectRaw, deviceToken } from '../test-support/raw-mqtt';
import { startTestHub, type TestHub } from '../testing';

describe('direct methods through azure-iothub Client', () => {
  let t: TestHub;
  beforeAll(async () => {
    t = await startTestHub();
  });
  afterAll(() => t.close());

  const invoke = (deviceId: string, params: Record<string, unknown>) =>
    t.service.client.invokeDeviceMethod(deviceId, { methodName: 'reboot', payload: null, ...params });

  it('round-trips a call with no payload (the device receives null)', async () => {
    const device = await t.connectDevice('m-ok');
    let received: unknown = 'unset';
    device.onDeviceMethod('reboot', (request, response) => {
      received = request.payload;
      void response.send(201);
    });
    await t.hub.whenDeviceSubscribedToMethods('m-ok');
    const { result } = await invoke('m-ok', { responseTimeoutInSeconds: 5 });
    expect(result).toEqual({ status: 201, payload: null });
    expect(received).toBeNull();
  });

  it('answers DeviceNotFound for an unknown device', async () => {
    await expect(invoke('m-nobody', {})).rejects.toMatchObject({ name: 'DeviceNotFoundError' });
  });

  it('answers 404 DeviceNotOnline (404103) for a device that is not connected', async () => {
    await t.hub.createDevice('m-offline');
    const err = await invoke('m-offline', { connectTimeoutInSeconds: 0 }).catch((e: unknown) => e);
    // The SDK has no class for it: a plain Error('Not found') carrying the response.
    expect(err).toMatchObject({ message: 'Not found', response: { statusCode: 404 } });
    expect((err as { responseBody: string }).responseBody).toMatch(/ErrorCode:DeviceNotOnline;/);
    expect(
      (err as { response: { headers: Record<string, string> } }).response.headers['iothub-errorcode'],
    ).toBe('DeviceNotOnline');
  });

  it('waits connectTimeoutInSeconds for a device that connects and subscribes later', async () => {
    await t.hub.createDevice('m-late');
    const call = invoke('m-late', {
      connectTimeoutInSeconds: 30,
      responseTimeoutInSeconds: 10,
      payload: { n: 1 },
    });
    const device = await t.connectDevice('m-late');
    device.onDeviceMethod('reboot', (request, response) => void response.send(200, { got: request.payload }));
    await expect(call).resolves.toMatchObject({ result: { status: 200, payload: { got: { n: 1 } } } });
  });

  it('answers 504 GatewayTimeout when the device does not answer in responseTimeoutInSeconds', async () => {
    const device = await t.connectDevice('m-silent');
    device.onDeviceMethod('reboot', () => {});
    await t.hub.whenDeviceSubscribedToMethods('m-silent');
    await expect(invoke('m-silent', { responseTimeoutInSeconds: 5 })).rejects.toMatchObject({
      name: 'GatewayTimeoutError',
    });
  });

  it.each([
    ['responseTimeoutInSeconds 4', { responseTimeoutInSeconds: 4 }],
    ['responseTimeoutInSeconds 301', { responseTimeoutInSeconds: 301 }],
    ['connectTimeoutInSeconds 301', { connectTimeoutInSeconds: 301 }],
    ['connectTimeoutInSeconds -1', { connectTimeoutInSeconds: -1 }],
    ['a payload over 128 KB', { payload: 'x'.repeat(128 * 1024) }],
  ])('answers 400 ArgumentError to %s', async (_label, params) => {
    await expect(invoke('m-ok', params)).rejects.toMatchObject({ name: 'ArgumentError' });
  });

  it('answers 502 when the device response is larger than 128 KB or not JSON', async () => {
    const device = await t.hub.createDevice('m-big');
    const raw = await connectRaw(t.hub, 'm-big', deviceToken(t.hub, 'm-big', device.primaryKey));
    try {
      await raw.subscribeAsync('$iothub/methods/POST/#');
      const bodies = [`"${'y'.repeat(128 * 1024)}"`, '{not json'];
      raw.on('message', (topic) => {
        const rid = new URLSearchParams(topic.split('?')[1]).get('$rid');
        raw.publish(`$iothub/methods/res/200/?$rid=${rid}`, bodies.shift() ?? '');
      });
      await t.hub.whenDeviceSubscribedToMethods('m-big');
      await expect(invoke('m-big', { responseTimeoutInSeconds: 5 })).rejects.toMatchObject({
        name: 'BadDeviceResponseError',
      });
      await expect(invoke('m-big', { responseTimeoutInSeconds: 5 })).rejects.toMatchObject({
        name: 'BadDeviceResponseError',
      });
    } finally {
      await raw.endAsync();
    }
  });
});
