import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mapSettledWithLimit } from '@iothub-reboot/app-kit';
import { readConnectionFile } from '@iothub-reboot/local-hub';
import { freePorts, type HubProcess, startHubProcess } from '@iothub-reboot/local-hub/testing';
import { createServiceClients, type ServiceClients } from '@iothub-reboot/service-connection';
import { type DeviceFleet, type FleetDevice, startDeviceFleet } from '../fleet/device-fleet';
import { provisionDevices } from '../fleet/provision';
import type { CallOutcome } from '../service/call-outcome';
import { invokeReboot } from '../service/invoke-reboot';
import { printFigure, since } from '../test-support/figures';
import { missingFrom, reportedOf } from '../test-support/twins';

// The hub process is killed with SIGKILL while 100 devices report and reboots are invoked, then
// restarted on the same ports and data directory.
const COUNT = 100;

describe('hub kill -9 under load', () => {
  let dir: string;
  let hub: HubProcess | undefined;
  let fleet: DeviceFleet | undefined;
  let service: ServiceClients | undefined;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'reliability-kill-'));
  });

  afterAll(async () => {
    await fleet?.close();
    await service?.close();
    await hub?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('loses nothing acknowledged, reloads its data, and every device answers again', async () => {
    const [mqttPort = 0, httpsPort = 0] = await freePorts(2);
    const options = { dataDir: join(dir, 'hub'), mqttPort, httpsPort };
    hub = await startHubProcess(options);
    const connection = await readConnectionFile(options.dataDir);
    service = createServiceClients(connection.serviceConnectionString, { ca: connection.caFile });
    const ids = Array.from({ length: COUNT }, (_, i) => `kill-${String(i).padStart(3, '0')}`);
    const strings = await provisionDevices(service.registry, ids, {
      hostName: connection.hostName,
      mqttPort,
    });
    fleet = await startDeviceFleet({
      connectionStrings: strings,
      ca: await readFile(connection.caFile, 'utf8'),
      reportTimeoutMs: 5_000,
    });
    const devices = fleet.devices;
    const { client, registry } = service;

    // Load: every device reports uniquely keyed patches back to back; five callers invoke reboots.
    let stopped = false;
    let acknowledged = 0;
    let loadReached: () => void = () => undefined;
    const enoughLoad = new Promise<void>((resolve) => {
      loadReached = resolve;
    });
    const reportLoop = async (device: FleetDevice) => {
      for (let n = 0; !stopped; n += 1) {
        if ((await device.report({ [`n${n}`]: n })) && ++acknowledged >= 3 * COUNT) loadReached();
      }
    };
    const outcomes: CallOutcome[] = [];
    let call = 0;
    const callLoop = async () => {
      while (!stopped) {
        const target = ids[call % COUNT] ?? '';
        call += 1;
        outcomes.push(await invokeReboot(client, target, `load-${call}`, { responseTimeoutInSeconds: 5 }));
      }
    };
    const load = Promise.all([...devices.map(reportLoop), ...Array.from({ length: 5 }, callLoop)]);

    await enoughLoad;
    const killedAt = performance.now();
    expect(await hub.kill()).toBe(137);
    hub = await startHubProcess(options);
    const restartedAt = performance.now();
    const recovered = await mapSettledWithLimit(ids, COUNT, (id) =>
      invokeReboot(client, id, `recover-${id}`, {
        responseTimeoutInSeconds: 10,
        connectTimeoutInSeconds: 60,
      }),
    );
    printFigure(
      `${COUNT} devices answering again after hub kill -9`,
      `${since(killedAt)} ms after the kill, ${since(restartedAt)} ms after the restarted hub was ready`,
    );
    stopped = true;
    await load;

    // Back means answering: 200, or 409 when a load call or a reboot begun before the kill holds it.
    for (const result of recovered) {
      const answer =
        result.status === 'fulfilled' && result.value.kind === 'answered' ? result.value.status : result;
      expect([200, 409]).toContain(answer);
    }
    // Every call ended: answered (200, or 409 while that device was busy), timed out, or failed with
    // the connection when the hub died.
    const kinds = new Set(outcomes.map((o) => (o.kind === 'answered' ? `answered ${o.status}` : o.kind)));
    for (const kind of kinds)
      expect(['answered 200', 'answered 409', 'timed-out', 'device-offline', 'failed']).toContain(kind);
    expect(fleet.duplicateReboots()).toEqual([]);

    const listed = await registry.list();
    expect(listed.responseBody.map((d) => d.deviceId).sort()).toEqual(ids);
    const missing = await mapSettledWithLimit(devices, 20, async (device) =>
      missingFrom(await reportedOf(registry, device.deviceId), device.acknowledged),
    );
    expect(missing.flatMap((m) => (m.status === 'fulfilled' ? m.value : ['read failed']))).toEqual([]);
    printFigure(
      'hub kill -9 run',
      `${devices.reduce((sum, d) => sum + d.acknowledged.length, 0)} acknowledged patches, ${outcomes.length} method calls (${[...kinds].join(', ')})`,
    );
  }, 120_000);
});
