import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServiceClients } from '@iothub-reboot/service-connection';
import { Client as DeviceClient, type Twin as DeviceTwin } from 'azure-iot-device';
import { Mqtt } from 'azure-iot-device-mqtt';
import { readConnectionFile } from '../connection-file';
import { type LocalHub, startLocalHub } from '../hub';
import { startHubProcess } from '../testing';

function reportedUpdate(twin: DeviceTwin, patch: unknown): Promise<void> {
  return new Promise((resolve, reject) =>
    twin.properties.reported.update(patch, (err?: Error) => (err ? reject(err) : resolve())),
  );
}

describe('durability on disk', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'local-hub-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps devices, twins and sessions across a restart; a reconnecting SDK device gets methods and desired pushes', async () => {
    let hub: LocalHub = await startLocalHub({ dataDir: dir, mqttPort: 0, httpsPort: 0 });
    const { mqttPort, httpsPort } = hub;
    expect(hub.connectionFile).toBe(join(dir, 'connection.json'));
    const connection = await readConnectionFile(dir);
    expect(connection).toEqual({
      hostName: 'localhost',
      mqttPort,
      httpsPort,
      serviceConnectionString: hub.serviceConnectionString(),
      caFile: join(dir, 'ca.pem'),
    });
    const caPem = hub.caPem;
    const device = await hub.createDevice('dur-1');
    const client = DeviceClient.fromConnectionString(device.connectionString, Mqtt);
    await client.setOptions({ ca: caPem });
    const service = createServiceClients(connection.serviceConnectionString, { ca: connection.caFile });
    try {
      await client.open();
      const twin = await client.getTwin();
      const desired: unknown[] = [];
      let onDesired: (() => void) | undefined;
      twin.on('properties.desired', (delta: unknown) => {
        desired.push(delta);
        onDesired?.();
      });
      client.onDeviceMethod('reboot', (_req, res) => void res.send(200, { ok: true }));
      await reportedUpdate(twin, { firmware: '2.0' });
      await hub.whenDeviceSubscribedToMethods('dur-1');

      await hub.close();
      hub = await startLocalHub({ dataDir: dir, mqttPort, httpsPort });
      expect(hub.caPem).toBe(caPem);
      // The SDK reconnects by itself and re-subscribes to methods only; the hub restores the rest.
      await hub.whenDeviceSubscribedToMethods('dur-1');

      const { responseBody } = await service.registry.getTwin('dur-1');
      expect(responseBody.properties.reported).toMatchObject({ firmware: '2.0' });
      const pushed = new Promise<void>((resolve) => {
        onDesired = resolve;
      });
      await service.registry.updateTwin('dur-1', { properties: { desired: { mode: 'safe' } } }, '*');
      await pushed;
      expect(desired.at(-1)).toMatchObject({ mode: 'safe' });
      await expect(
        service.client.invokeDeviceMethod('dur-1', {
          methodName: 'reboot',
          payload: null,
          responseTimeoutInSeconds: 5,
        }),
      ).resolves.toMatchObject({ result: { status: 200 } });
    } finally {
      await client.close();
      await service.close();
      await hub.close();
    }
  });

  it('loses nothing acknowledged when the hub process is killed with SIGKILL during a burst of reported updates', async () => {
    const child = await startHubProcess({ dataDir: dir });
    let hub: LocalHub | undefined;
    let client: DeviceClient | undefined;
    try {
      const ports = child;
      const connection = JSON.parse(readFileSync(join(dir, 'connection.json'), 'utf8'));
      expect(connection.mqttPort).toBe(ports.mqttPort);
      const service = createServiceClients(connection.serviceConnectionString, { ca: connection.caFile });
      const { responseBody: created } = await service.registry.create({ deviceId: 'burst' });
      await service.close();
      const key = created.authentication?.symmetricKey?.primaryKey;
      client = DeviceClient.fromConnectionString(
        `HostName=localhost;DeviceId=burst;SharedAccessKey=${key};GatewayHostName=127.0.0.1:${ports.mqttPort}`,
        Mqtt,
      );
      await client.setOptions({ ca: readFileSync(connection.caFile, 'utf8') });
      await client.open();
      const twin = await client.getTwin();

      const acknowledged: number[] = [];
      await new Promise<void>((resolve) => {
        for (let i = 0; i < 400; i += 1) {
          reportedUpdate(twin, { [`k${i}`]: i }).then(
            () => {
              acknowledged.push(i);
              if (acknowledged.length === 100) {
                void child.kill();
                resolve();
              }
            },
            // Updates in flight when the hub dies are never answered or fail: not acknowledged.
            () => undefined,
          );
        }
      });
      expect(await child.exited).toBe(137);
      const seenBeforeKill = [...acknowledged];
      expect(seenBeforeKill.length).toBeGreaterThanOrEqual(100);

      hub = await startLocalHub({ dataDir: dir, mqttPort: 0, httpsPort: 0 });
      expect(hub.listDevices().map((d) => d.deviceId)).toEqual(['burst']);
      const reportedKeys = Object.keys(await reportedOf(hub, 'burst'));
      for (const i of seenBeforeKill) expect(reportedKeys).toContain(`k${i}`);
    } finally {
      await child.kill();
      await client?.close();
      await hub?.close();
    }
  });
});

async function reportedOf(hub: LocalHub, deviceId: string): Promise<Record<string, unknown>> {
  const service = createServiceClients(hub.serviceConnectionString(), { ca: hub.caPem });
  try {
    const { responseBody } = await service.registry.getTwin(deviceId);
    return responseBody.properties.reported as unknown as Record<string, unknown>;
  } finally {
    await service.close();
  }
}
