import { readLastRebootFromTwin } from '@iothub-reboot/contracts';
import { systemClock } from '@iothub-reboot/device-reboot-handler';
import {
  type LocalHub,
  type ServiceClients,
  startTestHub,
  type TestHub,
} from '@iothub-reboot/local-hub/testing';
import {
  checkRebootAfter,
  PollTimeoutError,
  pollTwinUntilRebooted,
  pollUntil,
  rebootWrittenAfter,
} from '@iothub-reboot/twin-poller';
import { type DeviceFleet, startDeviceFleet } from '../fleet/device-fleet';
import { invokeReboot } from '../service/invoke-reboot';

// Devices whose clocks run five minutes behind or ahead of the service's (and the hub's).
const SKEW_MS = 5 * 60_000;

describe('clock skew between device and service', () => {
  let t: TestHub;
  let hub: LocalHub;
  let service: ServiceClients;
  const fleets: DeviceFleet[] = [];

  beforeAll(async () => {
    t = await startTestHub();
    hub = t.hub;
    service = t.service;
    for (const [id, offset] of [
      ['behind', -SKEW_MS],
      ['ahead', SKEW_MS],
    ] as const) {
      const { connectionString } = await hub.createDevice(id);
      const clock = { ...systemClock, now: () => Date.now() + offset };
      fleets.push(await startDeviceFleet({ connectionStrings: [connectionString], ca: hub.caPem, clock }));
      await hub.whenDeviceSubscribedToMethods(id);
    }
  });

  afterAll(async () => {
    await Promise.all(fleets.map((fleet) => fleet.close()));
    await t.close();
  });

  const twinOf = async (id: string) => (await service.registry.getTwin(id)).responseBody;
  const pollWritten = (id: string, requestedAt: Date) =>
    pollUntil({
      read: () => twinOf(id),
      check: rebootWrittenAfter({ requestedAt }),
      intervalMs: 100,
      timeoutMs: 10_000,
    });

  it('a device clock behind: the device-clock check cannot confirm and says why; the hub-clock check confirms', async () => {
    const requestedAt = new Date();
    expect(await invokeReboot(service.client, 'behind', 'behind-1')).toMatchObject({
      kind: 'answered',
      status: 200,
    });
    const failure = await pollTwinUntilRebooted(service.registry, 'behind', {
      requestedAt,
      intervalMs: 100,
      maxAttempts: 3,
    }).catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(PollTimeoutError);
    const last = (failure as PollTimeoutError<ReturnType<typeof readLastRebootFromTwin>>).lastObservation;
    expect(last && checkRebootAfter(last, { requestedAt })).toMatchObject({
      done: false,
      reason: expect.stringMatching(/is not after .*clock-skew margin/),
    });

    const { value } = await pollWritten('behind', requestedAt);
    expect(value.writtenAt.getTime()).toBeGreaterThanOrEqual(requestedAt.getTime());
    expect(value.writtenAt.getTime() - value.rebootTime.getTime()).toBeGreaterThan(SKEW_MS - 60_000);
  });

  it('a device clock ahead: an old reboot fools the device-clock check, not the hub-clock one', async () => {
    expect(await invokeReboot(service.client, 'ahead', 'ahead-1')).toMatchObject({
      kind: 'answered',
      status: 200,
    });
    const requestedAt = new Date(); // a new request whose reboot has not happened yet
    const twin = await twinOf('ahead');
    expect(checkRebootAfter(readLastRebootFromTwin(twin), { requestedAt })).toMatchObject({ done: true });
    expect(rebootWrittenAfter({ requestedAt, clockSkewMs: 0 })(twin)).toMatchObject({
      done: false,
      reason: expect.stringMatching(/\(hub clock\), not after/),
    });

    expect(await invokeReboot(service.client, 'ahead', 'ahead-2')).toMatchObject({
      kind: 'answered',
      status: 200,
    });
    const { value } = await pollWritten('ahead', requestedAt);
    expect(value.writtenAt.getTime()).toBeGreaterThanOrEqual(requestedAt.getTime());
  });
});
