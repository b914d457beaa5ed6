import { readLastRebootFromTwin, readRebootStateFromTwin } from '@iothub-reboot/contracts';
import {
  attachRebootHandler,
  type ConnectionKeeper,
  createMemoryRebootStore,
  keepConnected,
  reportPendingReboot,
} from '@iothub-reboot/device-reboot-handler';
import {
  type LocalHub,
  type ServiceClients,
  startTestHub,
  type TestHub,
} from '@iothub-reboot/local-hub/testing';
import { ExponentialBackOffWithJitter, NoRetry } from 'azure-iot-common';
import { Client } from 'azure-iot-device';
import { Mqtt } from 'azure-iot-device-mqtt';
import { withGateway } from '../fleet/gateway';
import { type FaultProxy, startFaultProxy } from '../proxy/fault-proxy';
import { invokeReboot } from '../service/invoke-reboot';

// keepConnected with the real SDK behind the fault proxy: a TCP reset (the SDK gives up by itself) and a
// black hole (found by a 2 s keep-alive; the SDK's own retries are off, so it gives up too).
describe('keepConnected against real faults', () => {
  let t: TestHub;
  let hub: LocalHub;
  // A proxy per device: one test's faults never reach another test's device (any order passes).
  const proxies: FaultProxy[] = [];
  let service: ServiceClients;
  const clients: Client[] = [];
  const keepers: ConnectionKeeper[] = [];
  let closing = false;

  beforeAll(async () => {
    t = await startTestHub();
    hub = t.hub;
    service = t.service;
  });

  afterAll(async () => {
    closing = true;
    await Promise.all(keepers.map((k) => k.stop()));
    await Promise.allSettled(clients.map((c) => c.close()));
    await Promise.allSettled(proxies.map((p) => p.close()));
    await t?.close();
  });

  /** A device behind the proxy with the reboot handler and keepConnected reporting owed reboots. */
  async function device(deviceId: string, retry: 'sdk-default' | 'none') {
    const proxy = await startFaultProxy({ target: { host: '127.0.0.1', port: hub.mqttPort } });
    proxies.push(proxy);
    const cs = withGateway((await hub.createDevice(deviceId)).connectionString, `127.0.0.1:${proxy.port}`);
    const client = Client.fromConnectionString(cs, Mqtt);
    clients.push(client);
    // The SDK's default policy judges a socket error not retryable: after a reset it emits `disconnect`.
    const policy = retry === 'none' ? new NoRetry() : new ExponentialBackOffWithJitter();
    client.setRetryPolicy({
      shouldRetry: (err: Error) => !closing && policy.shouldRetry(err),
      nextRetryTimeout: (count: number, throttled: boolean) => policy.nextRetryTimeout(count, throttled),
    });
    await client.setOptions({ ca: hub.caPem, keepalive: 2 });
    await client.open();
    const store = createMemoryRebootStore();
    attachRebootHandler(client, { store, reboot: async () => undefined });
    const reconnected: Array<() => void> = [];
    const keeper = keepConnected(client, {
      backoff: { initialMs: 50, maxMs: 500 },
      onReconnected: async () => {
        await reportPendingReboot(client, { store });
        for (const resolve of reconnected.splice(0)) resolve();
      },
    });
    keepers.push(keeper);
    const whenReconnected = () => new Promise<void>((resolve) => reconnected.push(resolve));
    await hub.whenDeviceSubscribedToMethods(deviceId);
    return { client, store, keeper, proxy, whenReconnected };
  }

  it('a TCP reset: reopens once, reports the owed reboot, and answers the next call', async () => {
    const d = await device('keep-reset', 'sdk-default');
    // A reboot whose report is still owed (its report failed before the reset).
    await d.store.save({
      version: 1,
      phase: 'rebooted',
      requestId: 'r-1',
      acceptedAt: '2026-11-28T04:00:00.000Z',
      rebootTime: '2026-11-28T04:00:01.000Z',
      correlationId: 'owed-1',
    });
    const accepted = d.proxy.accepted;
    const back = d.whenReconnected();
    d.proxy.cutAll();
    await back;
    expect(d.proxy.accepted).toBe(accepted + 1); // one reopen, not one per disconnect event
    expect(d.keeper.reconnects).toBe(1);
    const { responseBody } = await service.registry.getTwin('keep-reset');
    expect(readLastRebootFromTwin(responseBody)).toMatchObject({
      reported: true,
      rebootTime: new Date('2026-11-28T04:00:01.000Z'),
    });
    expect(readRebootStateFromTwin(responseBody)).toMatchObject({ correlationId: 'owed-1' });
    const outcome = await invokeReboot(service.client, 'keep-reset', 'after-reset', {
      responseTimeoutInSeconds: 10,
      connectTimeoutInSeconds: 10,
    });
    expect(outcome).toMatchObject({ kind: 'answered', status: 200 });
  });

  it('a black hole: the keep-alive finds it, the SDK gives up, keepConnected brings the device back', async () => {
    const d = await device('keep-hole', 'none');
    const [link] = d.proxy.connectionIds().slice(-1);
    const back = d.whenReconnected();
    d.proxy.drop(link === undefined ? undefined : [link]);
    await back;
    expect(d.keeper.reconnects).toBe(1);
    const outcome = await invokeReboot(service.client, 'keep-hole', 'after-hole', {
      responseTimeoutInSeconds: 10,
      connectTimeoutInSeconds: 10,
    });
    expect(outcome).toMatchObject({ kind: 'answered', status: 200 });
  }, 30_000);
});
