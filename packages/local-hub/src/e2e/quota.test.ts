import { Client as DeviceClient } from 'azure-iot-device';
import { Mqtt } from 'azure-iot-device-mqtt';
import type { LocalHubOptions } from '../config';
import { connectRaw, deviceToken } from '../test-support/raw-mqtt';
import { startTestHub, type TestHub } from '../testing';

// IoT Hub's throttles ("IoT Hub quotas and throttling", table "Operation throttles"), opt-in with `quota`.
// Each test owns a hub whose throttle clock it drives, so a bucket empties and refills exactly when the
// test says: no sleeps, no timing. S1 with one unit: twin reads 100/s, twin updates 50/s, direct methods
// 160 KB/s in 4 KB meters (40), queries 20/min, jobs operations 100/min, new connections 100/s.

interface SdkError {
  name?: string;
  response?: { statusCode?: number; headers?: Record<string, string> };
  responseBody?: string;
}

describe('opt-in IoT Hub throttles (quota S1)', () => {
  const hubs: TestHub[] = [];
  let now = 0;
  const quotaHub = async (options: LocalHubOptions = {}) => {
    now = 1_000_000;
    const t = await startTestHub({ quota: 'S1', quotaClock: () => now, ...options });
    hubs.push(t);
    return t;
  };
  afterEach(async () => {
    await Promise.all(hubs.splice(0).map((t) => t.close()));
  });

  /** Runs `call` until the hub refuses it; returns how many passed and the refusal. */
  async function untilThrottled(call: () => Promise<unknown>, limit: number) {
    for (let passed = 0; passed <= limit; passed += 1) {
      const error = await call().then(
        () => undefined,
        (err: SdkError) => err,
      );
      if (error) return { passed, error };
    }
    throw new Error(`not throttled after ${limit + 1} calls`);
  }

  /** The SDK's view of IoT Hub's 429: ThrottlingError, status 429, `iothub-errorcode: ThrottlingException`. */
  function expectThrottling(error: SdkError) {
    expect(error.name).toBe('ThrottlingError');
    expect(error.response?.statusCode).toBe(429);
    expect(error.response?.headers?.['iothub-errorcode']).toBe('ThrottlingException');
    expect(error.responseBody).toMatch(/^\{"Message":"ErrorCode:ThrottlingException;/);
  }

  it('is off by default: 150 twin reads in an instant all pass', async () => {
    const t = await startTestHub();
    hubs.push(t);
    await t.hub.createDevice('q-off');
    for (let i = 0; i < 150; i += 1) await t.service.registry.getTwin('q-off');
    expect(t.hub.throttledCounts().twinReads).toBe(0);
  });

  it('twin reads: 100 pass, then 429 ThrottlingError; 10 ms later one more passes', async () => {
    const t = await quotaHub();
    await t.hub.createDevice('q-read');
    const { passed, error } = await untilThrottled(() => t.service.registry.getTwin('q-read'), 200);
    expect(passed).toBe(100);
    expectThrottling(error);
    now += 10;
    await expect(t.service.registry.getTwin('q-read')).resolves.toBeDefined();
    await expect(t.service.registry.getTwin('q-read')).rejects.toMatchObject({ name: 'ThrottlingError' });
  });

  // azure-iot-device-mqtt turns a twin answer with an `errorCode` body into a plain Error
  // (mqtt_twin_client.js, _onResponseMessage), which its retry filter does not retry: the app retries.
  it("twin reads include the device's own: 429 reaches the device app, a retry after the refill passes", async () => {
    const t = await quotaHub();
    const device = await t.connectDevice('q-dev-read');
    await untilThrottled(() => t.service.registry.getTwin('q-dev-read'), 200);
    await expect(device.getTwin()).rejects.toThrow(/twinReads throttle is exceeded/);
    now += 1000;
    await expect(device.getTwin()).resolves.toBeDefined();
  });

  it('twin updates: 50 pass, then 429, for service and device alike; both pass after the refill', async () => {
    const t = await quotaHub();
    const device = await t.connectDevice('q-update');
    const { passed, error } = await untilThrottled(
      () => t.service.registry.updateTwin('q-update', { tags: { n: Math.random() } }, '*'),
      100,
    );
    expect(passed).toBe(50);
    expectThrottling(error);
    const twin = await device.getTwin();
    const report = () =>
      new Promise<void>((resolve, reject) =>
        twin.properties.reported.update({ through: true }, (err?: Error) => (err ? reject(err) : resolve())),
      );
    await expect(report()).rejects.toThrow(/twinUpdates throttle is exceeded/);
    now += 1000;
    await report();
    const { responseBody } = await t.service.registry.getTwin('q-update');
    expect(responseBody.properties.reported.through).toBe(true);
  });

  it('direct methods: 40 small calls pass (160 KB/s in 4 KB meters); the SDK retries the 41st through', async () => {
    const t = await quotaHub();
    const device = await t.connectDevice('q-method');
    device.onDeviceMethod('ping', (_request, response) => void response.send(200, { pong: true }));
    await t.hub.whenDeviceSubscribedToMethods('q-method');
    const ping = () => t.service.client.invokeDeviceMethod('q-method', { methodName: 'ping', payload: null });
    for (let i = 0; i < 40; i += 1) await ping();
    expect(t.hub.throttledCounts().directMethods).toBe(0);
    // Client.invokeDeviceMethod retries 429 with backoff (azure-iothub client.js, RetryOperation).
    const call = ping();
    await t.hub.whenThrottled('directMethods');
    now += 1000;
    await expect(call).resolves.toMatchObject({ result: { status: 200, payload: { pong: true } } });
  });

  it('direct methods cost their payload in 4 KB meters: a 100 KB payload takes 25 of 40', async () => {
    const t = await quotaHub();
    const device = await t.connectDevice('q-big');
    device.onDeviceMethod('big', (_request, response) => void response.send(200, null));
    await t.hub.whenDeviceSubscribedToMethods('q-big');
    const payload = 'x'.repeat(100 * 1024 - 2); // JSON string of exactly 100 KB
    await t.service.client.invokeDeviceMethod('q-big', { methodName: 'big', payload });
    const second = t.service.client.invokeDeviceMethod('q-big', { methodName: 'big', payload });
    await t.hub.whenThrottled('directMethods');
    now += 1000;
    await expect(second).resolves.toBeDefined();
  });

  it('queries: 20 pass, then 429; one more every 3 s (20/min)', async () => {
    const t = await quotaHub();
    await t.hub.createDevice('q-query');
    const query = () => t.service.registry.createQuery('SELECT * FROM devices', 10).next();
    const { passed, error } = await untilThrottled(query, 40);
    expect(passed).toBe(20);
    expectThrottling(error);
    now += 2_900;
    await expect(query()).rejects.toMatchObject({ name: 'ThrottlingError' });
    now += 100;
    await expect(query()).resolves.toBeDefined();
  });

  it('jobs operations: 100 pass (create, get, list, cancel alike), then 429', async () => {
    const t = await quotaHub();
    const later = new Date(Date.now() + 3600_000);
    await t.service.jobClient.scheduleTwinUpdate('q-job', "deviceId = 'none'", { tags: { a: 1 } }, later);
    const { passed, error } = await untilThrottled(() => t.service.jobClient.getJob('q-job'), 200);
    expect(passed).toBe(99);
    expectThrottling(error);
    now += 600; // 100/min: one more every 0.6 s
    await expect(t.service.jobClient.cancelJob('q-job')).resolves.toBeDefined();
  });

  it('new device connections: 100 pass, then CONNACK 3, which the device SDK retries through', async () => {
    const t = await quotaHub();
    const { primaryKey, connectionString } = await t.hub.createDevice('q-connect');
    const token = deviceToken(t.hub, 'q-connect', primaryKey);
    for (let i = 0; i < 100; i += 1) await (await connectRaw(t.hub, 'q-connect', token)).endAsync();
    const refused = await connectRaw(t.hub, 'q-connect', token).catch((err: { code?: number }) => err);
    expect((refused as { code?: number }).code).toBe(3);
    const device = DeviceClient.fromConnectionString(connectionString, Mqtt);
    await device.setOptions({ ca: t.hub.caPem });
    try {
      const opening = device.open();
      await t.hub.whenThrottled('deviceConnections');
      now += 1000;
      await opening;
      expect(t.hub.listDevices()[0]?.connectionState).toBe('Connected');
    } finally {
      await device.close();
    }
  });

  it('refuses a bad quota with a clear ConfigError', async () => {
    await expect(startTestHub({ quota: 'S9' })).rejects.toMatchObject({
      name: 'ConfigError',
      message: expect.stringMatching(/quota must be S1, S2 or S3/),
    });
  });
});
