import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type LocalHub, startLocalHub } from '../hub';
import { describeListeningOn } from '../test-support/needs-port';

const run = promisify(execFile);
const describeOn443 = describeListeningOn(443, 'port-443');

// IoT Hub serves REST and MQTT over WebSockets on 443. With the hub's HTTPS port there, azure-iothub's
// Registry, Client and JobClient dial https://<HostName>:443 (their Http class never takes a port) and
// MqttWs dials wss://<HostName>:443/$iothub/websocket (mqtt_ws.js), so code written for a real hub runs
// unchanged: only the CA differs, trusted through NODE_EXTRA_CA_CERTS.
describeOn443('port 443 mode: unmodified SDK code against the local hub', () => {
  let hub: LocalHub;
  let dir: string;
  let caFile: string;
  beforeAll(async () => {
    hub = await startLocalHub({ inMemory: true, httpsPort: 443, mqttPort: 0 });
    dir = await mkdtemp(join(tmpdir(), 'local-hub-443-'));
    caFile = join(dir, 'ca.pem');
    await writeFile(caFile, hub.caPem);
  });
  afterAll(async () => {
    await hub?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('hands out the plain IoT Hub service connection string', () => {
    expect(hub.serviceConnectionString()).toMatch(
      /^HostName=localhost;SharedAccessKeyName=iothubowner;SharedAccessKey=[^;]+$/,
    );
  });

  it('runs Registry, Client, JobClient.fromConnectionString and an MqttWs device with only NODE_EXTRA_CA_CERTS', async () => {
    const { stdout } = await run(process.execPath, [join(__dirname, '../test-support/sdk-user-code.cjs')], {
      // Nothing of the test's environment leaks in: the connection string and the CA file only.
      env: {
        PATH: process.env.PATH ?? '',
        NODE_EXTRA_CA_CERTS: caFile,
        SERVICE_CONNECTION_STRING: hub.serviceConnectionString(),
      },
      timeout: 60_000,
    });
    const result = JSON.parse(stdout);
    expect(result.method).toEqual({ status: 200, payload: { rebooting: true } });
    expect(Date.parse(result.lastReboot)).not.toBeNaN();
    expect(result.connectionState).toBe('Connected');
    expect(result.job).toMatchObject({ type: 'scheduleUpdateTwin', created: 'queued' });
    expect(['queued', 'running', 'completed']).toContain(result.job.fetched);
    expect(hub.listDevices().map((d) => d.deviceId)).toContain('user-code-1');
  });

  it('without the CA the same code is refused by TLS verification (the CA is what makes it work)', async () => {
    const failure = await run(process.execPath, [join(__dirname, '../test-support/sdk-user-code.cjs')], {
      env: { PATH: process.env.PATH ?? '', SERVICE_CONNECTION_STRING: hub.serviceConnectionString() },
      timeout: 60_000,
    }).catch((err: { code?: number; stderr?: string }) => err);
    expect((failure as { code?: number }).code).toBe(1);
    expect((failure as { stderr?: string }).stderr).toMatch(/certificate/i);
  });
});
