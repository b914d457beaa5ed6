// The poller against a local hub that enforces IoT Hub's S1 throttles (quota option): a twin read refused
// with 429 (its budget used and its traffic-shaping backlog full: 429002 ThrottleBacklogLimitExceeded) is
// transient, and the poll rides through it once the hub's bucket refills. The test drives the hub's
// throttle clock and release timers (ManualClock), so "refilled" happens when it says, not after a wait.
import { buildRebootReport } from '@iothub-reboot/contracts';
import { ManualClock, startTestHub, type TestHub } from '@iothub-reboot/local-hub/testing';
import { pollTwinUntilRebooted } from '../reboot';
import { reportProperties } from '../test-support/device-sdk';

const FAST = { intervalMs: 50, timeoutMs: 15_000, backoff: { initialMs: 20, maxMs: 100 } };

describe('pollTwinUntilRebooted through IoT Hub throttling (local hub with quota S1)', () => {
  let t: TestHub;
  const clock = new ManualClock();
  beforeAll(async () => {
    t = await startTestHub({ quota: 'S1', quotaClock: clock.now, quotaTimers: clock });
  });
  afterAll(() => t.close());

  it('retries the 429s of an exhausted twin-read throttle and confirms the reboot once it refills', async () => {
    const device = await t.connectDevice('throttled-1');
    const requestedAt = new Date(Date.now() - 1);
    await reportProperties(device, buildRebootReport(new Date()));
    // S1 allows 100 twin reads a second, and shapes as many more (they wait their turn): use up both (the
    // device's own twin GET took one, so one of these may be refused already).
    const spent = Promise.allSettled(
      Array.from({ length: 200 }, () => t.service.registry.getTwin('throttled-1')),
    );
    await t.hub.whenThrottleBacklog('twinReads', 100);

    const errors: unknown[] = [];
    const polling = pollTwinUntilRebooted(t.service.registry, 'throttled-1', {
      ...FAST,
      requestedAt,
      clockSkewMs: 0,
      onAttempt: (report) => {
        if (report.outcome === 'transient-error') errors.push(report.error);
      },
    });
    await t.hub.whenThrottled('twinReads');
    // From here the hub's clock moves a second whenever a read waits its turn, until the poll is done:
    // the backlog drains, the bucket refills, and the poll's next read gets through.
    let settled = false;
    const finished = polling.then(
      () => {
        settled = true;
      },
      () => {
        settled = true;
      },
    );
    while (!settled) {
      await Promise.race([t.hub.whenThrottleBacklog('twinReads', 1), finished]);
      if (!settled) clock.advance(1000);
    }
    while (t.hub.throttleBacklog('twinReads') > 0) clock.advance(1000); // any read still waiting
    await spent;
    const result = await polling;
    expect(result.value).toMatchObject({ reported: true, outcome: 'rebooted' });
    expect(errors.length).toBeGreaterThanOrEqual(1);
    expect(errors[0]).toMatchObject({ name: 'ThrottlingError' });
  });
});
