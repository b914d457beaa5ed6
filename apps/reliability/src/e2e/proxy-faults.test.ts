import {
  type LocalHub,
  type ServiceClients,
  startTestHub,
  type TestHub,
} from '@iothub-reboot/local-hub/testing';
import { pollTwinUntilRebooted } from '@iothub-reboot/twin-poller';
import { type DeviceFleet, startDeviceFleet } from '../fleet/device-fleet';
import { withGateway } from '../fleet/gateway';
import { type FaultProxy, startFaultProxy } from '../proxy/fault-proxy';
import { invokeReboot } from '../service/invoke-reboot';
import { printFigure, since } from '../test-support/figures';
import { missingFrom, reportedOf } from '../test-support/twins';

// Real SDK devices (reboot handler, MQTT over verified TLS) reach the hub through the fault proxy.
// A 2 s keep-alive lets the devices notice a silent link in seconds instead of the SDK's 180 s.
const COUNT = 5;
const KEEPALIVE_S = 2;

describe('devices behind a faulty network', () => {
  let t: TestHub;
  let hub: LocalHub;
  let proxy: FaultProxy;
  let fleet: DeviceFleet;
  let service: ServiceClients;
  const ids = Array.from({ length: COUNT }, (_, i) => `faulty-${i}`);
  const reports: Promise<boolean>[] = [];
  let step = 0;

  beforeAll(async () => {
    t = await startTestHub();
    hub = t.hub;
    proxy = await startFaultProxy({ target: { host: '127.0.0.1', port: hub.mqttPort } });
    const strings = await Promise.all(
      ids.map(async (id) =>
        withGateway((await hub.createDevice(id)).connectionString, `127.0.0.1:${proxy.port}`),
      ),
    );
    fleet = await startDeviceFleet({
      connectionStrings: strings,
      ca: hub.caPem,
      keepaliveSeconds: KEEPALIVE_S,
    });
    service = t.service;
    await Promise.all(ids.map((id) => hub.whenDeviceSubscribedToMethods(id)));
  });

  afterAll(async () => {
    await fleet?.close();
    await proxy?.close();
    await t?.close();
  });

  // Every device sends one more uniquely keyed patch; kept to check at the end, acknowledged or not.
  const reportFromAll = () => {
    step += 1;
    for (const device of fleet.devices) reports.push(device.report({ [`step${step}`]: step }));
  };
  const rebootAll = (tag: string, connectTimeoutInSeconds = 0) =>
    Promise.all(
      ids.map((id) =>
        invokeReboot(service.client, id, `${tag}-${id}`, {
          responseTimeoutInSeconds: 5,
          connectTimeoutInSeconds,
        }),
      ),
    );

  it('keeps working with 300 ms of added latency each way', async () => {
    proxy.setLatency(300);
    reportFromAll();
    const outcomes = await rebootAll('latency');
    expect(outcomes.map((o) => o.kind === 'answered' && o.status)).toEqual(ids.map(() => 200));
    proxy.setLatency(0);
  });

  // A patch sent after recovery must be acknowledged by every device.
  const reportFromAllAcknowledged = async () => {
    const before = reports.length;
    reportFromAll();
    expect(await Promise.all(reports.slice(before))).toEqual(ids.map(() => true));
  };

  it('reset: every device reconnects by itself and answers again', async () => {
    const accepted = proxy.accepted;
    const start = performance.now();
    proxy.cutAll();
    reportFromAll();
    await proxy.whenAccepted(accepted + COUNT);
    printFigure('reconnected after a proxy reset (RST)', `${since(start)} ms`);
    const outcomes = await rebootAll('after-reset', 30);
    expect(outcomes.map((o) => o.kind === 'answered' && o.status)).toEqual(ids.map(() => 200));
    await reportFromAllAcknowledged();
  });

  it.each([
    ['drop', () => proxy.drop()],
    ['half-open (hub to device blocked)', () => proxy.halfOpen('downstream')],
  ])(
    '%s: a call in flight ends with a clear timeout; the device finds the dead link and comes back',
    async (name, fault) => {
      const accepted = proxy.accepted;
      const start = performance.now();
      fault();
      reportFromAll();
      const lost = rebootAll(`lost-${name}`);
      await proxy.whenAccepted(accepted + COUNT);
      printFigure(`reconnected after ${name}`, `${since(start)} ms (keep-alive ${KEEPALIVE_S} s)`);
      // The request never reached the device: a 504 (or, once the hub saw the link die, 404103).
      for (const outcome of await lost) expect(['timed-out', 'device-offline']).toContain(outcome.kind);
      const back = await rebootAll(`back-${name}`, 30);
      expect(back.map((o) => o.kind === 'answered' && o.status)).toEqual(ids.map(() => 200));
      for (const device of fleet.devices)
        expect(device.rebootsByCall.get(`lost-${name}-${device.deviceId}`)).toBeUndefined();
      await reportFromAllAcknowledged();
    },
  );

  it('half-open (device to hub blocked): the reboot runs once, the call ends, the report reaches the twin', async () => {
    const accepted = proxy.accepted;
    const requestedAt = new Date();
    const start = performance.now();
    proxy.halfOpen('upstream');
    const outcomes = rebootAll('mute');
    await proxy.whenAccepted(accepted + COUNT);
    printFigure(
      'reconnected after half-open (device to hub blocked)',
      `${since(start)} ms (keep-alive ${KEEPALIVE_S} s)`,
    );
    // The device sees its pings unanswered within the 5 s response timeout, reconnects, and may still
    // answer on the new link; otherwise the caller gets the 504. Either way the call ends.
    for (const outcome of await outcomes) {
      expect(outcome.kind === 'timed-out' || (outcome.kind === 'answered' && outcome.status === 200)).toBe(
        true,
      );
    }
    const reported = await Promise.all(
      ids.map((id) =>
        pollTwinUntilRebooted(service.registry, id, {
          requestedAt,
          clockSkewMs: 0,
          intervalMs: 250,
          timeoutMs: 40_000,
        }),
      ),
    );
    for (const { value } of reported)
      expect(value.rebootTime.getTime()).toBeGreaterThanOrEqual(requestedAt.getTime());
    for (const device of fleet.devices) expect(device.rebootsByCall.get(`mute-${device.deviceId}`)).toBe(1);
    await reportFromAllAcknowledged();
  });

  it('loses no acknowledged reported property and runs no reboot twice', async () => {
    const settled = await Promise.all(reports);
    for (const device of fleet.devices) {
      expect(missingFrom(await reportedOf(service.registry, device.deviceId), device.acknowledged)).toEqual(
        [],
      );
    }
    expect(fleet.duplicateReboots()).toEqual([]);
    printFigure(
      'reported patches acknowledged through faults',
      `${settled.filter(Boolean).length}/${settled.length}`,
    );
  });
});
