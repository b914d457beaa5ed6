import { safeParseRebootResponse } from '@iothub-reboot/contracts';
import { ManualClock, startTestHub, type TestHub } from '@iothub-reboot/local-hub/testing';
import { attachRebootHandler } from '../handler';

// The handler's default retry against a hub throttling twin updates (quota S1: 50/s, then a backlog of 50
// more, then 429 ThrottleBacklogLimitExceeded, "IoT Hub quotas and throttling", Traffic shaping). The
// device's report meets `$iothub/twin/res/429`, which azure-iot-device-mqtt turns into a plain Error
// (mqtt_twin_client.js); IoT Hub's guidance is to back off and retry. The throttle's clock is a ManualClock,
// so the backlog stays full until the test lets it drain; the handler's own backoff runs in real time
// (random 0: its shortest waits, 0.5 s, 1 s, 1.5 s, 1.5 s).
let t: TestHub;
const clock = new ManualClock();
beforeAll(async () => {
  t = await startTestHub({ quota: 'S1', quotaClock: clock.now, quotaTimers: clock });
});
afterAll(() => t.close());

it('default retry: a report refused 4 times over (more than maxAttempts) still lands, and the call gets 200', async () => {
  const device = await t.connectDevice('throttled-report');
  const handler = attachRebootHandler(device, { reboot: async () => undefined, random: () => 0 });
  await t.hub.whenDeviceSubscribedToMethods('throttled-report');
  const update = (n: number) => t.service.registry.updateTwin('throttled-report', { tags: { n } }, '*');
  for (let n = 0; n < 50; n += 1) await update(n);
  const waiting = Array.from({ length: 50 }, (_, n) => update(50 + n));
  await t.hub.whenThrottleBacklog('twinUpdates', 50);

  const refusals = (async () => {
    for (let i = 0; i < 4; i += 1) await t.hub.whenThrottled('twinUpdates');
    return 'refused 4 times';
  })();
  const call = t.service.client
    .invokeDeviceMethod('throttled-report', {
      methodName: 'rebootDevice',
      payload: {},
      responseTimeoutInSeconds: 30,
    })
    .then(({ result }) => result as { status: number; payload: unknown });
  // The old default (3 attempts) answered 500 report-failed before a 4th refusal could come.
  await expect(Promise.race([refusals, call.then((r) => `answered ${r.status} first`)])).resolves.toBe(
    'refused 4 times',
  );
  // 1 s drains the backlog (50/s), 1 s more refills the bucket: the handler's next retry passes at once.
  clock.advance(2_000);
  const result = await call;
  expect(result.status).toBe(200);
  const response = safeParseRebootResponse(result.payload);
  expect(response.success && response.data.result).toBe('rebooted');
  await Promise.all(waiting);
  await handler.detach();
});
