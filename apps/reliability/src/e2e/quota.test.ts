// The SDKs' and this project's clients riding through IoT Hub throttling: a local hub enforcing S1's
// published rates (quota option: direct methods 40 small calls/s, twin reads 100/s, twin updates 50/s,
// "IoT Hub quotas and throttling") in real time, driven above them by a fleet rebooting at once.
// - azure-iothub's Client retries a 429 from invokeDeviceMethod with its throttling backoff (client.js,
//   RetryOperation; azure-iot-common ExponentialBackOffWithJitter's throttled parameters);
// - device-reboot-handler retries a refused reported-property update (the device SDK turns a twin answer
//   with an `errorCode` body into a plain Error, mqtt_twin_client.js, and does not retry it itself);
// - twin-poller treats a 429 ThrottlingError as transient and polls on.
// The hub traffic-shapes every class (over the rate a request waits in a backlog of one window's worth,
// beyond it 429): direct methods and twin updates are driven past their backlogs, so their refusal counts
// must be > 0; the pollers' twin reads (one outstanding each) are slowed in the backlog instead, which must
// be seen too. So this cannot pass without throttling.
import { startTestHub, type TestHub } from '@iothub-reboot/local-hub/testing';
import { pollTwinUntilRebooted } from '@iothub-reboot/twin-poller';
import { type DeviceFleet, startDeviceFleet } from '../fleet/device-fleet';
import { invokeReboot } from '../service/invoke-reboot';

const DEVICES = 36;
// 10 KB of filler: each call costs 3 of S1's 40 direct-method meters a second (4 KB each), so 36 calls at
// once are 108 meters, more than the bucket (40) and its traffic-shaping backlog (40 more) together: 13
// pass, 13 wait their turn, 10 are refused 429 and fit again when the SDK retries them.
const PADDING_BYTES = 10 * 1024;
// Service-side tag writes at once, over S1's 50 twin updates a second and its backlog of 50: the devices'
// own reports meet a drained bucket and a full backlog, and must retry.
const TAG_WRITES = 120;

describe('riding through IoT Hub throttling (local hub with quota S1, real time)', () => {
  let t: TestHub;
  let fleet: DeviceFleet;
  // The throttle's clock: real time, except that it stands still from the start of the load until the
  // first direct method is refused, so the load exceeds each bucket however slowly this machine issues it
  // (no refill during the burst); after that it runs on in real time and the clients ride through.
  let frozenAt: number | undefined;
  let offsetMs = 0;
  const ids = Array.from({ length: DEVICES }, (_, i) => `quota-${String(i).padStart(2, '0')}`);

  beforeAll(async () => {
    t = await startTestHub({ quota: 'S1', quotaClock: () => frozenAt ?? Date.now() - offsetMs });
    const connectionStrings: string[] = [];
    for (const id of ids) connectionStrings.push((await t.hub.createDevice(id)).connectionString);
    // The devices read their twin before each report, and twin reads are one hub-wide budget
    // ("Twin (device and module) reads"): with the service's pollers draining it, a report can meet 429s.
    // The handler's defaults ride through them (throttled answers are retried without counting against
    // its attempts, until its deadline), so the fleet runs with them.
    fleet = await startDeviceFleet({ connectionStrings, ca: t.hub.caPem });
    await Promise.all(ids.map((id) => t.hub.whenDeviceSubscribedToMethods(id)));
  });

  afterAll(async () => {
    await fleet?.close();
    await t?.close();
  });

  it('every call is answered exactly once (or fails as ThrottlingError), and every twin confirms the reboot', async () => {
    const requestedAt = new Date(Date.now() - 1);
    frozenAt = Date.now();
    const thawed = t.hub.whenThrottled('directMethods').then(() => {
      offsetMs = Date.now() - (frozenAt as number);
      frozenAt = undefined;
    });
    // The service polls each twin from the moment it asks (36 pollers at 10 reads/s: 3.6 times S1's
    // twin-read rate); each is slowed by the traffic shaping (or rides through a 429, backing off) until the
    // device reports.
    let readsShaped = false;
    void t.hub.whenThrottleBacklog('twinReads', 1).then(() => {
      readsShaped = true;
    });
    const transient: unknown[] = [];
    const polls = Promise.all(
      ids.map((id) =>
        pollTwinUntilRebooted(t.service.registry, id, {
          requestedAt,
          clockSkewMs: 0,
          intervalMs: 100,
          maxAttempts: 1_000,
          timeoutMs: 25_000,
          backoff: { initialMs: 200, maxMs: 2_000 },
          onAttempt: (report) => {
            if (report.outcome === 'transient-error') transient.push(report.error);
          },
        }),
      ),
    );
    const tagWrites = Promise.all(
      Array.from({ length: TAG_WRITES }, (_, i) =>
        t.service.registry.updateTwin(ids[i % DEVICES] as string, { tags: { wave: i } }, '*').then(
          () => 'ok',
          (err: { name?: string }) => err.name,
        ),
      ),
    );
    // 108 meters against a bucket of 40 and a backlog of 40: 10 calls are refused 429 (429002) and retried
    // by the SDK ~10 s later (its throttled backoff), when the bucket holds 40 again.
    const outcomes = await Promise.all(
      ids.map((id) =>
        invokeReboot(t.service.client, id, `call-${id}`, {
          responseTimeoutInSeconds: 30,
          paddingBytes: PADDING_BYTES,
        }),
      ),
    );
    for (const outcome of outcomes) {
      if (outcome.kind === 'failed') expect(outcome).toEqual({ kind: 'failed', reason: 'ThrottlingError' });
      else expect(outcome).toMatchObject({ kind: 'answered', status: 200 });
    }
    await thawed;
    const answered = outcomes.filter((o) => o.kind === 'answered').length;
    expect(answered).toBeGreaterThan(0);
    // No lost answer and no double reboot: each answered call ran the reboot exactly once on its device.
    expect(fleet.duplicateReboots()).toEqual([]);
    expect(fleet.rebootCount()).toBe(answered);
    for (const [i, device] of fleet.devices.entries()) {
      if (outcomes[i]?.kind === 'answered')
        expect([...device.rebootsByCall.entries()]).toEqual([[`call-${device.deviceId}`, 1]]);
    }

    for (const write of await tagWrites) expect(['ok', 'ThrottlingError']).toContain(write);
    const confirmed = await polls;
    for (const result of confirmed)
      expect(result.value).toMatchObject({ reported: true, outcome: 'rebooted' });
    for (const error of transient) expect(error).toMatchObject({ name: 'ThrottlingError' });

    // Throttling happened in each class this run drove over its rate: refused past the backlog for methods
    // and twin updates, delayed in the backlog for the pollers' reads.
    const refused = t.hub.throttledCounts();
    expect(refused.directMethods).toBeGreaterThan(0);
    expect(refused.twinUpdates).toBeGreaterThan(0);
    expect(readsShaped).toBe(true);
  });
});
