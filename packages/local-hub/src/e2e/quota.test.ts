import { Client as DeviceClient, Message } from 'azure-iot-device';
import { Mqtt } from 'azure-iot-device-mqtt';
import type { LocalHubOptions } from '../config';
import { followJob } from '../test-support/jobs';
import { ManualClock } from '../test-support/manual-clock';
import { connectRaw, deviceToken } from '../test-support/raw-mqtt';
import { startTestHub, type TestHub } from '../testing';

// IoT Hub's throttles ("IoT Hub quotas and throttling", table "Operation throttles"), opt-in with `quota`.
// Each test owns a hub whose throttle clock it drives, so a bucket empties and refills exactly when the
// test says (a ManualClock: `advance` also runs the throttle's release timers): no sleeps, no timing. S1
// with one unit: twin reads 100/s, twin updates 50/s, direct methods 160 KB/s in 4 KB meters (40), queries
// 20/min, jobs operations 100/min, identity registry operations 100/min, device-to-cloud sends 100/s,
// jobs device operations 10/s, new connections 100/s.

// azure-iot-common's NoRetry, in the RetryPolicy shape the SDK calls (the package is not a direct dependency).
const NO_RETRY = { shouldRetry: () => false, nextRetryTimeout: () => 0 };

/** The error `call` rejects with (fails the test if it resolves). */
async function refusal(call: () => Promise<unknown>): Promise<SdkError> {
  return call().then(
    () => {
      throw new Error('expected a refusal');
    },
    (err: SdkError) => err,
  );
}

interface SdkError {
  name?: string;
  response?: { statusCode?: number; headers?: Record<string, string> };
  responseBody?: string;
}

describe('opt-in IoT Hub throttles (quota S1)', () => {
  const hubs: TestHub[] = [];
  let clock = new ManualClock();
  const quotaHub = async (options: LocalHubOptions = {}) => {
    clock = new ManualClock();
    const t = await startTestHub({ quota: 'S1', quotaClock: clock.now, quotaTimers: clock, ...options });
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
    clock.advance(10);
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
    clock.advance(1000);
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
    clock.advance(1000);
    await report();
    const { responseBody } = await t.service.registry.getTwin('q-update');
    expect(responseBody.properties.reported.through).toBe(true);
  });

  // Client.invokeDeviceMethod retries 429 with backoff (azure-iothub client.js, RetryOperation), seconds of
  // real time: here its retries are off so the 429 itself is seen; apps/reliability's quota suite shows the
  // SDK's retries riding through.
  it('direct methods: 40 small calls pass (160 KB/s in 4 KB meters), the 41st gets 429, then passes', async () => {
    const t = await quotaHub();
    t.service.client.setRetryPolicy(NO_RETRY);
    const device = await t.connectDevice('q-method');
    device.onDeviceMethod('ping', (_request, response) => void response.send(200, { pong: true }));
    await t.hub.whenDeviceSubscribedToMethods('q-method');
    const ping = () => t.service.client.invokeDeviceMethod('q-method', { methodName: 'ping', payload: null });
    for (let i = 0; i < 40; i += 1) await ping();
    expect(t.hub.throttledCounts().directMethods).toBe(0);
    expectThrottling(await refusal(ping));
    clock.advance(25); // 40/s: one meter every 25 ms
    await expect(ping()).resolves.toMatchObject({ result: { status: 200, payload: { pong: true } } });
  });

  it('direct methods cost their payload in 4 KB meters: a 100 KB payload takes 25 of 40', async () => {
    const t = await quotaHub();
    t.service.client.setRetryPolicy(NO_RETRY);
    const device = await t.connectDevice('q-big');
    device.onDeviceMethod('big', (_request, response) => void response.send(200, null));
    await t.hub.whenDeviceSubscribedToMethods('q-big');
    const payload = 'x'.repeat(100 * 1024 - 2); // JSON string of exactly 100 KB
    const big = () => t.service.client.invokeDeviceMethod('q-big', { methodName: 'big', payload });
    await big();
    // 15 meters left: a second 25-meter call is refused; 250 ms refill 10 more, enough.
    expectThrottling(await refusal(big));
    clock.advance(249);
    expectThrottling(await refusal(big));
    clock.advance(1);
    await expect(big()).resolves.toBeDefined();
  });

  it('queries: 20 pass, then 429; one more every 3 s (20/min)', async () => {
    const t = await quotaHub();
    await t.hub.createDevice('q-query');
    const query = () => t.service.registry.createQuery('SELECT * FROM devices', 10).next();
    const { passed, error } = await untilThrottled(query, 40);
    expect(passed).toBe(20);
    expectThrottling(error);
    clock.advance(2_900);
    await expect(query()).rejects.toMatchObject({ name: 'ThrottlingError' });
    clock.advance(100);
    await expect(query()).resolves.toBeDefined();
  });

  it('jobs operations: 100 pass (create, get, list, cancel alike), then 429', async () => {
    const t = await quotaHub();
    const later = new Date(Date.now() + 3600_000);
    await t.service.jobClient.scheduleTwinUpdate('q-job', "deviceId = 'none'", { tags: { a: 1 } }, later);
    const { passed, error } = await untilThrottled(() => t.service.jobClient.getJob('q-job'), 200);
    expect(passed).toBe(99);
    expectThrottling(error);
    clock.advance(600); // 100/min: one more every 0.6 s
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
      clock.advance(1000);
      await opening;
      expect(t.hub.listDevices()[0]?.connectionState).toBe('Connected');
    } finally {
      await device.close();
    }
  });

  it('identity registry operations: 100 pass (get, create, list, delete alike), then 429; one more per 0.6 s', async () => {
    const t = await quotaHub();
    const { registry } = t.service;
    await registry.create({ deviceId: 'q-reg', status: 'enabled' });
    await registry.list();
    const { passed, error } = await untilThrottled(() => registry.get('q-reg'), 200);
    expect(passed).toBe(98);
    expectThrottling(error);
    await expect(registry.delete('q-reg')).rejects.toMatchObject({ name: 'ThrottlingError' });
    clock.advance(600);
    await expect(registry.delete('q-reg')).resolves.toBeDefined();
    expect(t.hub.listDevices()).toEqual([]);
  });

  // Traffic shaping ("IoT Hub quotas and throttling"): over the D2C rate a send is queued and processed at
  // the limit rate (its PUBACK waits, so the SDK's sendEvent resolves late, not failed).
  it('device-to-cloud sends: 100 pass at once, the next waits in the backlog until the rate allows it', async () => {
    const t = await quotaHub();
    const device = await t.connectDevice('q-d2c');
    for (let i = 0; i < 100; i += 1) await device.sendEvent(new Message(`m${i}`));
    let sent = false;
    const late = device.sendEvent(new Message('late')).then(() => {
      sent = true;
    });
    await t.hub.whenThrottleBacklog('deviceToCloudSends', 1);
    expect(sent).toBe(false);
    expect(t.hub.telemetryCount('q-d2c')).toBe(100);
    clock.advance(10); // 100/s: one send every 10 ms
    await late;
    expect(t.hub.telemetryCount('q-d2c')).toBe(101);
    expect(t.hub.throttledCounts().deviceToCloudSends).toBe(0);
  });

  // When the backlog is full IoT Hub answers 429002 ThrottleBacklogLimitExceeded and, over MQTT, disconnects
  // the device (MicrosoftDocs/azure-docs#107838).
  it('device-to-cloud sends: once the backlog is full too, the device is disconnected', async () => {
    const t = await quotaHub();
    const { primaryKey } = await t.hub.createDevice('q-flood');
    const raw = await connectRaw(t.hub, 'q-flood', deviceToken(t.hub, 'q-flood', primaryKey));
    try {
      const closed = new Promise<void>((resolve) => raw.once('close', () => resolve()));
      // 100 pass, 100 wait in the backlog, the rest overflow it. One write, so the hub reads them together.
      raw.stream.cork();
      for (let i = 0; i < 210; i += 1) raw.publish('devices/q-flood/messages/events/', `m${i}`, { qos: 0 });
      raw.stream.uncork();
      await closed;
      expect(t.hub.throttledCounts().deviceToCloudSends).toBeGreaterThan(0);
      // The sends still waiting went with the connection (unacknowledged, a device sends them again): even
      // once the rate would allow them, only the 100 that passed at once were taken.
      expect(t.hub.throttleBacklog('deviceToCloudSends')).toBe(0);
      clock.advance(5_000);
      expect(t.hub.telemetryCount('q-flood')).toBe(100);
    } finally {
      await raw.endAsync(true);
    }
  });

  // "Jobs device operations (update twin, invoke direct method)": 10/s on S1. A job is slowed to that rate,
  // not failed: its devices are called in turn, each only when the rate allows it.
  it('a method job over 12 devices calls 10 at once, then one per 100 ms, in order, and completes', async () => {
    const t = await quotaHub();
    const ids = Array.from({ length: 12 }, (_, i) => `q-job-${String(i).padStart(2, '0')}`);
    const called: string[] = [];
    const arrived: ((id: string) => void)[] = [];
    for (const id of ids) {
      const device = await t.connectDevice(id);
      device.onDeviceMethod('reboot', (_request, response) => {
        called.push(id);
        for (const notify of arrived.splice(0)) notify(id);
        void response.send(200, null);
      });
      await t.hub.whenDeviceSubscribedToMethods(id);
    }
    const nextCall = () => new Promise<string>((resolve) => arrived.push(resolve));
    await t.service.jobClient.scheduleDeviceMethod('q-paced', "STARTSWITH(deviceId, 'q-job-')", {
      methodName: 'reboot',
      payload: null,
      responseTimeoutInSeconds: 10,
    });
    await t.hub.whenThrottleBacklog('jobDeviceOperations', 2);
    while (called.length < 10) await nextCall();
    expect(t.hub.throttleBacklog('jobDeviceOperations')).toBe(2);
    let next = nextCall();
    clock.advance(100);
    await expect(next).resolves.toBe(ids[10]);
    next = nextCall();
    clock.advance(100);
    await expect(next).resolves.toBe(ids[11]);
    expect(called).toEqual(ids);
    const seen = await followJob(t.service.jobClient, 'q-paced');
    expect(seen.at(-1)).toMatchObject({ status: 'completed', deviceJobStatistics: { succeededCount: 12 } });
    expect(t.hub.throttledCounts().jobDeviceOperations).toBe(0);
  });

  it('refuses a bad quota with a clear ConfigError', async () => {
    await expect(startTestHub({ quota: 'S9' })).rejects.toMatchObject({
      name: 'ConfigError',
      message: expect.stringMatching(/quota must be S1, S2 or S3/),
    });
  });
});
