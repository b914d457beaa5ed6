import { request } from 'node:https';
import { Client as DeviceClient, Message } from 'azure-iot-device';
import { Mqtt } from 'azure-iot-device-mqtt';
import type { LocalHubOptions } from '../config';
import { followJob } from '../test-support/jobs';
import { ManualClock } from '../test-support/manual-clock';
import { connectRaw, deviceToken } from '../test-support/raw-mqtt';
import { serviceToken } from '../test-support/rest-client';
import { startTestHub, type TestHub } from '../testing';

// IoT Hub's throttles ("IoT Hub quotas and throttling", table "Operation throttles"), opt-in with `quota`.
// Each test owns a hub whose throttle clock it drives, so a bucket empties and refills exactly when the
// test says (a ManualClock: `advance` also runs the throttle's release timers): no sleeps, no timing. S1
// with one unit: twin reads 100/s, twin updates 50/s, direct methods 160 KB/s in 4 KB meters (40), queries
// 20/min, jobs operations 100/min, identity registry operations 100/min, device-to-cloud sends 100/s,
// jobs device operations 10/s, new connections 100/s.
// Every operation class but new connections is traffic-shaped ("IoT Hub quotas and throttling", Traffic
// shaping): over the rate a request waits in its class's backlog (one window's worth) and is processed at
// the limit rate, so it is late, not refused; only beyond the backlog is it answered 429, with IoT Hub's
// 429002 ThrottleBacklogLimitExceeded (IoT Hub common error codes).

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

  /** Runs `call` `count` times in turn; all must pass without waiting (the class's burst). */
  async function burst(call: () => Promise<unknown>, count: number) {
    for (let i = 0; i < count; i += 1) await call();
  }

  /**
   * Whether `promise` is still pending once the hub has had a chance to answer: `settledBy` (a promise the
   * hub resolves at a later event, e.g. a refusal or a backlog length) has resolved by then.
   */
  async function stillPending(promise: Promise<unknown>, settledBy: Promise<unknown>): Promise<boolean> {
    let settled = false;
    void promise.then(
      () => {
        settled = true;
      },
      () => {
        settled = true;
      },
    );
    await settledBy;
    await new Promise((resolve) => setImmediate(resolve));
    return !settled;
  }

  /**
   * The SDK's view of IoT Hub's 429 beyond the backlog: ThrottlingError, status 429,
   * `iothub-errorcode: ThrottleBacklogLimitExceeded` (429002) in the body form azure-iothub parses.
   */
  function expectThrottling(error: SdkError) {
    expect(error.name).toBe('ThrottlingError');
    expect(error.response?.statusCode).toBe(429);
    expect(error.response?.headers?.['iothub-errorcode']).toBe('ThrottleBacklogLimitExceeded');
    expect(error.responseBody).toMatch(/^\{"Message":"ErrorCode:ThrottleBacklogLimitExceeded;/);
  }

  it('is off by default: 150 twin reads in an instant all pass', async () => {
    const t = await startTestHub();
    hubs.push(t);
    await t.hub.createDevice('q-off');
    for (let i = 0; i < 150; i += 1) await t.service.registry.getTwin('q-off');
    expect(t.hub.throttledCounts().twinReads).toBe(0);
  });

  it('twin reads: 100 pass, the 101st waits in the backlog and is answered 10 ms later, not refused', async () => {
    const t = await quotaHub();
    await t.hub.createDevice('q-read');
    await burst(() => t.service.registry.getTwin('q-read'), 100);
    const late = t.service.registry.getTwin('q-read');
    expect(await stillPending(late, t.hub.whenThrottleBacklog('twinReads', 1))).toBe(true);
    clock.advance(10); // 100/s: one read every 10 ms
    await expect(late).resolves.toMatchObject({ responseBody: { deviceId: 'q-read' } });
    expect(t.hub.throttledCounts().twinReads).toBe(0);
  });

  // A device twin request over the rate waits too; once the backlog is full it is answered
  // `$iothub/twin/res/429` with `{"errorCode":429002,…}`, which azure-iot-device-mqtt turns into a plain
  // Error (mqtt_twin_client.js, _onResponseMessage) and does not retry: the app retries.
  // Five devices, ten reports each: one connection may have only 16 twin requests in flight before the hub
  // holds the rest by backpressure (mqtt/twin-request-gate.ts), so the backlog is filled by several.
  it("device twin updates share the class's backlog: 50 wait and pass at 50/s, the one beyond gets 429002", async () => {
    const t = await quotaHub();
    const ids = ['q-update-0', 'q-update-1', 'q-update-2', 'q-update-3', 'q-update-4'];
    const twins = await Promise.all(ids.map(async (id) => (await t.connectDevice(id)).getTwin()));
    await burst(() => t.service.registry.updateTwin('q-update-0', { tags: { n: 1 } }, '*'), 50);
    const report = (twin: (typeof twins)[number], n: number) =>
      new Promise<void>((resolve, reject) =>
        twin.properties.reported.update({ n }, (err?: Error) => (err ? reject(err) : resolve())),
      );
    const waiting = twins.flatMap((twin) => Array.from({ length: 10 }, (_, n) => report(twin, n)));
    await t.hub.whenThrottleBacklog('twinUpdates', 50);
    const refused = report(twins[0]!, 10);
    await expect(refused).rejects.toThrow(/twinUpdates throttle is exceeded and its backlog is full/);
    expect(t.hub.throttledCounts().twinUpdates).toBe(1);
    // The service's update beyond the backlog is refused alike.
    expectThrottling(
      await refusal(() => t.service.registry.updateTwin('q-update-0', { tags: { n: 2 } }, '*')),
    );
    clock.advance(1000);
    await Promise.all(waiting);
    for (const id of ids) {
      const { responseBody } = await t.service.registry.getTwin(id);
      // In order: each device's last waiting report is the one that stays.
      expect(responseBody.properties.reported.n).toBe(9);
    }
  });

  it("device twin reads share the hub's budget: after 100 service reads the device's read waits, then passes", async () => {
    const t = await quotaHub();
    const device = await t.connectDevice('q-dev-read');
    await burst(() => t.service.registry.getTwin('q-dev-read'), 100);
    const late = device.getTwin();
    expect(await stillPending(late, t.hub.whenThrottleBacklog('twinReads', 1))).toBe(true);
    clock.advance(10);
    await expect(late).resolves.toBeDefined();
  });

  it('a device that disconnects withdraws its waiting twin requests from the backlog', async () => {
    const t = await quotaHub();
    const { primaryKey } = await t.hub.createDevice('q-gone');
    await burst(() => t.service.registry.getTwin('q-gone'), 100);
    const raw = await connectRaw(t.hub, 'q-gone', deviceToken(t.hub, 'q-gone', primaryKey));
    try {
      for (let i = 0; i < 3; i += 1) raw.publish(`$iothub/twin/GET/?$rid=${i}`, ' ', { qos: 0 });
      await t.hub.whenThrottleBacklog('twinReads', 3);
    } finally {
      await raw.endAsync(true);
    }
    await t.hub.whenThrottleBacklogAtMost('twinReads', 0);
  });

  // Client.invokeDeviceMethod retries 429 with backoff (azure-iothub client.js, RetryOperation), seconds of
  // real time: here its retries are off so the 429 itself is seen; apps/reliability's quota suite shows the
  // SDK's retries riding through.
  it('direct methods: 40 small calls pass (160 KB/s in 4 KB meters), the 41st waits 25 ms, then passes', async () => {
    const t = await quotaHub();
    t.service.client.setRetryPolicy(NO_RETRY);
    const device = await t.connectDevice('q-method');
    device.onDeviceMethod('ping', (_request, response) => void response.send(200, { pong: true }));
    await t.hub.whenDeviceSubscribedToMethods('q-method');
    const ping = () => t.service.client.invokeDeviceMethod('q-method', { methodName: 'ping', payload: null });
    await burst(ping, 40);
    const late = ping();
    expect(await stillPending(late, t.hub.whenThrottleBacklog('directMethods', 1))).toBe(true);
    clock.advance(25); // 40/s: one meter every 25 ms
    await expect(late).resolves.toMatchObject({ result: { status: 200, payload: { pong: true } } });
    expect(t.hub.throttledCounts().directMethods).toBe(0);
  });

  it('direct methods cost their payload in 4 KB meters: 100 KB calls take 25 of 40, wait for them, 429 past 40', async () => {
    const t = await quotaHub();
    t.service.client.setRetryPolicy(NO_RETRY);
    const device = await t.connectDevice('q-big');
    device.onDeviceMethod('big', (_request, response) => void response.send(200, null));
    await t.hub.whenDeviceSubscribedToMethods('q-big');
    const payload = 'x'.repeat(100 * 1024 - 2); // JSON string of exactly 100 KB
    const big = () => t.service.client.invokeDeviceMethod('q-big', { methodName: 'big', payload });
    await big();
    // 15 meters left: a second 25-meter call waits until 250 ms refill 10 more.
    const second = big();
    expect(await stillPending(second, t.hub.whenThrottleBacklog('directMethods', 1))).toBe(true);
    // The backlog holds one second's worth, 40 meters: a third call (25 more) is over it.
    expectThrottling(await refusal(big));
    clock.advance(249);
    expect(await stillPending(second, Promise.resolve())).toBe(true);
    clock.advance(1);
    await expect(second).resolves.toBeDefined();
  });

  it('queries: 20 pass, 20 more wait (one per 3 s, 20/min), the 41st gets 429002; all 20 are answered', async () => {
    const t = await quotaHub();
    await t.hub.createDevice('q-query');
    const query = () => t.service.registry.createQuery('SELECT * FROM devices', 10).next();
    await burst(query, 20);
    const waiting = Array.from({ length: 20 }, () => query());
    await t.hub.whenThrottleBacklog('queries', 20);
    expectThrottling(await refusal(query));
    clock.advance(2_999);
    expect(await stillPending(waiting[0] as Promise<unknown>, Promise.resolve())).toBe(true);
    clock.advance(1);
    await expect(waiting[0]).resolves.toMatchObject({
      result: [expect.objectContaining({ deviceId: 'q-query' })],
    });
    clock.advance(57_000);
    await Promise.all(waiting);
    expect(t.hub.throttledCounts().queries).toBe(1);
  });

  it('a REST request whose connection closes while it waits leaves the backlog, freeing its place', async () => {
    const t = await quotaHub();
    const query = () => t.service.registry.createQuery('SELECT * FROM devices', 10).next();
    await burst(query, 20);
    const waiting = Array.from({ length: 19 }, () => query());
    await t.hub.whenThrottleBacklog('queries', 19);
    const body = JSON.stringify({ query: 'SELECT * FROM devices' });
    const raw = request({
      host: '127.0.0.1',
      port: t.hub.httpsPort,
      method: 'POST',
      path: '/devices/query?api-version=2021-04-12',
      ca: t.hub.caPem,
      agent: false,
      headers: { authorization: serviceToken(t.hub), 'content-type': 'application/json' },
    });
    raw.on('error', () => undefined); // destroyed below on purpose
    raw.end(body);
    await t.hub.whenThrottleBacklog('queries', 20);
    raw.destroy();
    await t.hub.whenThrottleBacklogAtMost('queries', 19);
    // Its place is free again: one more query waits rather than being refused.
    const last = query();
    await t.hub.whenThrottleBacklog('queries', 20);
    clock.advance(60_000);
    await Promise.all([...waiting, last]);
    expect(t.hub.throttledCounts().queries).toBe(0);
  });

  it('closing the hub releases every waiting request and leaves no throttle timer', async () => {
    const t = await quotaHub();
    const { primaryKey } = await t.hub.createDevice('q-close');
    const query = () => t.service.registry.createQuery('SELECT * FROM devices', 10).next();
    await burst(query, 20);
    const waiting = Array.from({ length: 3 }, () =>
      query().then(
        () => 'answered',
        () => 'failed',
      ),
    );
    await burst(() => t.service.registry.getTwin('q-close'), 100);
    const raw = await connectRaw(t.hub, 'q-close', deviceToken(t.hub, 'q-close', primaryKey));
    raw.on('error', () => undefined); // the hub closing ends it
    raw.publish('$iothub/twin/GET/?$rid=1', ' ', { qos: 0 });
    await Promise.all([t.hub.whenThrottleBacklog('queries', 3), t.hub.whenThrottleBacklog('twinReads', 1)]);
    await t.close();
    hubs.splice(hubs.indexOf(t), 1);
    await raw.endAsync(true);
    await expect(Promise.all(waiting)).resolves.toEqual(['failed', 'failed', 'failed']);
    expect(t.hub.throttleBacklog('queries')).toBe(0);
    expect(t.hub.throttleBacklog('twinReads')).toBe(0);
    expect(clock.pendingCount()).toBe(0);
  });

  it('jobs operations: 100 pass (create, get, cancel alike), the next waits its 0.6 s, then passes', async () => {
    const t = await quotaHub();
    const later = new Date(Date.now() + 3600_000);
    await t.service.jobClient.scheduleTwinUpdate('q-job', "deviceId = 'none'", { tags: { a: 1 } }, later);
    await burst(() => t.service.jobClient.getJob('q-job'), 99);
    const cancel = t.service.jobClient.cancelJob('q-job');
    expect(await stillPending(cancel, t.hub.whenThrottleBacklog('jobsOperations', 1))).toBe(true);
    clock.advance(600); // 100/min: one more every 0.6 s
    await expect(cancel).resolves.toBeDefined();
    expect(t.hub.throttledCounts().jobsOperations).toBe(0);
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

  it('identity registry operations: 100 pass (get, create, list, delete alike), then one per 0.6 s', async () => {
    const t = await quotaHub();
    const { registry } = t.service;
    await registry.create({ deviceId: 'q-reg', status: 'enabled' });
    await registry.list();
    await burst(() => registry.get('q-reg'), 98);
    const removal = registry.delete('q-reg');
    expect(await stillPending(removal, t.hub.whenThrottleBacklog('registryOperations', 1))).toBe(true);
    clock.advance(600);
    await expect(removal).resolves.toBeDefined();
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
