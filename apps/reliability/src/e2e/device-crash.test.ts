import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ChildApp, startChildApp } from '@iothub-reboot/app-kit';
import { readLastRebootFromTwin } from '@iothub-reboot/contracts';
import {
  type LocalHub,
  type ServiceClients,
  startTestHub,
  type TestHub,
} from '@iothub-reboot/local-hub/testing';
import { invokeReboot } from '../service/invoke-reboot';

// The library path of a real restart: a device process (reboot handler + file store) is killed with
// SIGKILL while its reboot action runs; the next start reports that reboot exactly once.
describe('device process killed mid-reboot', () => {
  let dir: string;
  let t: TestHub;
  let hub: LocalHub;
  let service: ServiceClients;
  const children: ChildApp[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'reliability-crash-'));
    t = await startTestHub();
    hub = t.hub;
    service = t.service;
  });

  afterAll(async () => {
    await Promise.all(children.map((child) => child.kill()));
    await t.close();
    await rm(dir, { recursive: true, force: true });
  });

  const twinNow = async () => {
    const { responseBody } = await service.registry.getTwin('crash-1');
    const reported = responseBody.properties.reported as unknown as { $version: number };
    return { version: reported.$version, last: readLastRebootFromTwin(responseBody) };
  };

  it('reports the pending reboot once after the restart, and never again', async () => {
    const device = await hub.createDevice('crash-1');
    const caFile = join(dir, 'ca.pem');
    await writeFile(caFile, hub.caPem);
    const env = {
      DEVICE_CS: device.connectionString,
      CA_FILE: caFile,
      STORE_PATH: join(dir, 'pending.json'),
    };
    const start = (label: string) => {
      const child = startChildApp({
        label,
        script: join(__dirname, '../test-support/device-child.cjs'),
        env,
        emit: () => undefined,
      });
      children.push(child);
      return child;
    };
    const pendingOf = async (child: ChildApp) => JSON.parse(await child.waitForLine(/"event":"pending"/));

    const first = start('run-1');
    expect(await pendingOf(first)).toMatchObject({ status: 'none' });
    await first.waitForLine(/"event":"ready"/);
    await hub.whenDeviceSubscribedToMethods('crash-1');
    const answer = await invokeReboot(service.client, 'crash-1', 'crash');
    expect(answer).toMatchObject({ kind: 'answered', status: 202 });
    await first.waitForLine(/"event":"rebooting"/);
    const killedAt = Date.now();
    expect(await first.kill()).toBe(137);
    const before = await twinNow();

    const second = start('run-2');
    const reported = await pendingOf(second);
    expect(reported).toMatchObject({ status: 'reported' });
    // The restart counts as the reboot: its time is the new process's start, after the kill.
    expect(Date.parse(reported.rebootTime)).toBeGreaterThanOrEqual(killedAt);
    const after = await twinNow();
    expect(after.version).toBe(before.version + 1);
    expect(after.last.reported && after.last.rebootTime.toISOString()).toBe(reported.rebootTime);
    await second.waitForLine(/"event":"ready"/);
    expect(await second.stop()).toBe(0);

    const third = start('run-3');
    expect(await pendingOf(third)).toMatchObject({ status: 'none' });
    expect((await twinNow()).version).toBe(after.version);
    await third.waitForLine(/"event":"ready"/);
    expect(await third.stop()).toBe(0);
  });
});
