import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Twin as DeviceTwin } from 'azure-iot-device';
import { FaultyFileSystem } from '../persistence/faulty-fs';
import { FileBackend } from '../persistence/file-backend';
import { rawRequest } from '../test-support/rest-client';
import { startTestHub, type TestHub } from '../testing';

// Issue #21, "restart always possible" and "normal service once space returns": a hub restarted while its
// disk is full comes up, serves reads, refuses writes with the same 503 as a hub that ran out of space
// while running, and stores writes again once space returns. The full disk is the fault file system's
// (every write that needs new space fails with ENOSPC); src/e2e/disk-full.test.ts does it on a real tmpfs.

const API = 'api-version=2021-04-12';

function reportedUpdate(twin: DeviceTwin, patch: unknown): Promise<void> {
  return new Promise((resolve, reject) =>
    twin.properties.reported.update(patch, (err?: Error) => (err ? reject(err) : resolve())),
  );
}

describe('a hub restarted on a full disk', () => {
  let dir: string;
  let fs: FaultyFileSystem;
  let testHub: TestHub | undefined;
  beforeEach(() => {
    dir = mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'hub-full-restart-'));
    fs = new FaultyFileSystem();
  });
  afterEach(async () => {
    await testHub?.close();
    testHub = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  const start = (faulty: boolean) => startTestHub({ storage: new FileBackend(dir, faulty ? { fs } : {}) });

  it('starts, serves reads, answers writes 503 ENOSPC, and resumes writes once space returns', async () => {
    testHub = await start(true);
    const desired = (n: number) =>
      rawRequest(testHub?.hub as TestHub['hub'], 'PATCH', `/twins/full-restart?${API}`, {
        body: JSON.stringify({ properties: { desired: { n } } }),
      });
    const created = await rawRequest(testHub.hub, 'PUT', `/devices/full-restart?${API}`, {
      body: JSON.stringify({ deviceId: 'full-restart' }),
    });
    expect(created.status).toBe(200);
    expect((await desired(1)).status).toBe(200);
    await testHub.close();

    fs.full = true;
    // Before the fix the start itself failed: the lock's text and the compaction need new space.
    testHub = await start(true);
    const { hub } = testHub;
    const twin = await rawRequest(hub, 'GET', `/twins/full-restart?${API}`);
    expect(twin.status).toBe(200);
    expect(twin.json).toMatchObject({ properties: { desired: { n: 1 } } });
    expect((await rawRequest(hub, 'GET', `/devices/full-restart?${API}`)).status).toBe(200);

    const refused = await desired(2);
    expect(refused.status).toBe(503);
    expect(refused.headers['iothub-errorcode']).toBe('ServiceUnavailable');
    expect(refused.text).toContain('ENOSPC');
    const newDevice = await rawRequest(hub, 'PUT', `/devices/another?${API}`, {
      body: JSON.stringify({ deviceId: 'another' }),
    });
    expect(newDevice.status).toBe(503);
    expect((await rawRequest(hub, 'GET', `/devices/another?${API}`)).status).toBe(404);
    // A device connects and reads its twin (reads need no space); its reported update is refused.
    const client = await testHub.connectDevice('full-restart');
    const deviceTwin = await client.getTwin();
    expect(deviceTwin.properties.desired.n).toBe(1);
    await expect(reportedUpdate(deviceTwin, { r: 1 })).rejects.toThrow('ENOSPC');

    fs.recover();
    expect((await desired(3)).status).toBe(200);
    await reportedUpdate(deviceTwin, { r: 2 });
    await testHub.close();

    testHub = await start(false);
    const after = await testHub.service.registry.getTwin('full-restart');
    expect(after.responseBody.properties.desired.n).toBe(3);
    expect(after.responseBody.properties.reported.r).toBe(2);
    expect((await rawRequest(testHub.hub, 'GET', `/devices/another?${API}`)).status).toBe(404);
  });
});
