// The poller against a local hub that enforces IoT Hub's S1 throttles (quota option): a twin read refused
// with 429 ThrottlingException is transient, and the poll rides through it once the hub's bucket refills.
// The test drives the hub's throttle clock, so "refilled" happens when it says, not after a wait.
import { buildRebootReport } from '@iothub-reboot/contracts';
import { startTestHub, type TestHub } from '@iothub-reboot/local-hub/testing';
import { pollTwinUntilRebooted } from '../reboot';
import { reportProperties } from '../test-support/device-sdk';

const FAST = { intervalMs: 50, timeoutMs: 15_000, backoff: { initialMs: 20, maxMs: 100 } };

describe('pollTwinUntilRebooted through IoT Hub throttling (local hub with quota S1)', () => {
  let t: TestHub;
  let now = 1_000_000;
  beforeAll(async () => {
    t = await startTestHub({ quota: 'S1', quotaClock: () => now });
  });
  afterAll(() => t.close());

  it('retries the 429s of an exhausted twin-read throttle and confirms the reboot once it refills', async () => {
    const device = await t.connectDevice('throttled-1');
    const requestedAt = new Date(Date.now() - 1);
    await reportProperties(device, buildRebootReport(new Date()));
    // S1 allows 100 twin reads a second: use them up.
    let reads = 0;
    while (
      await t.service.registry.getTwin('throttled-1').then(
        () => true,
        () => false,
      )
    )
      reads += 1;
    expect(reads).toBeGreaterThan(90);
    expect(reads).toBeLessThanOrEqual(100);

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
    now += 1000;
    const result = await polling;
    expect(result.value).toMatchObject({ reported: true, outcome: 'rebooted' });
    expect(errors.length).toBeGreaterThanOrEqual(1);
    expect(errors[0]).toMatchObject({ name: 'ThrottlingError' });
  });
});
