import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ChildApp, startChildApp } from '@iothub-reboot/app-kit';
import { freePorts, startTestHub, type TestHub } from '@iothub-reboot/local-hub/testing';

const DEVICE_APP = join(__dirname, '..', '..', 'dist', 'main.js');

// The SDK names every failed first open UnauthorizedError (azure-iot-device-mqtt mqtt_base.js): the app
// must tell a hub that is not there, a CA that is not passed and a real CONNACK refusal apart.
describe('device app: the first connection', () => {
  let t: TestHub;
  let dir: string;
  let caFile: string;
  const apps: ChildApp[] = [];
  beforeAll(async () => {
    t = await startTestHub();
    dir = await mkdtemp(join(tmpdir(), 'device-first-connection-'));
    caFile = join(dir, 'ca.pem');
    await writeFile(caFile, t.hub.caPem);
  });
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((app) => app.stop(2000)));
  });
  afterAll(async () => {
    await t?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const startDevice = (connectionString: string, args: string[]) => {
    const app = startChildApp({
      label: '[device]',
      script: DEVICE_APP,
      args: ['--state-dir', join(dir, 'state'), '--log-level', 'warn', ...args],
      env: { LOG_FORMAT: 'json', IOTHUB_DEVICE_CONNECTION_STRING: connectionString, NODE_EXTRA_CA_CERTS: '' },
      emit: () => undefined,
    });
    apps.push(app);
    return app;
  };
  const withPort = (cs: string, port: number) =>
    cs.replace(/GatewayHostName=[^;]+/, `GatewayHostName=127.0.0.1:${port}`);

  it('retries while nothing listens, then exits 9 "hub unreachable" naming the cause', async () => {
    const { deviceId } = await t.hub.createDevice('unreachable-1');
    const [port] = await freePorts(1);
    const app = startDevice(withPort(t.hub.deviceConnectionString(deviceId), port as number), [
      '--ca',
      caFile,
      '--connect-timeout',
      '3',
    ]);
    expect(await app.exited).toBe(9);
    const text = app.lines.join('\n');
    expect(text).toMatch(/Could not connect; retrying/);
    expect(text).toMatch(/hub unreachable: no connection within 3 s \(last error: connect ECONNREFUSED/);
    expect(text).not.toMatch(/refused the device credentials/);
  });

  it('connects once a hub comes up on the port it was retrying', async () => {
    const [mqttPort] = await freePorts(1);
    const dataDir = join(dir, 'late-hub');
    const options = { inMemory: false, dataDir, mqttPort: mqttPort as number };
    const first = await startTestHub(options);
    const { deviceId } = await first.hub.createDevice('late-1');
    const cs = first.hub.deviceConnectionString(deviceId);
    const ca = join(dir, 'late-ca.pem');
    await writeFile(ca, first.hub.caPem);
    await first.close(); // the port is free again: the device's first attempts are refused
    const app = startDevice(cs, ['--ca', ca, '--log-level', 'info']);
    await app.waitForLine(/Could not connect; retrying/);
    const again = await startTestHub(options); // same data directory: same CA, same device and key
    try {
      await app.waitForLine(/Connected to IoT Hub/);
    } finally {
      await app.stop(2000);
      await again.close();
    }
  });

  it('without the hub CA: exit 2, "pass the hub\'s CA with --ca", no retry', async () => {
    const { deviceId } = await t.hub.createDevice('no-ca-1');
    const app = startDevice(t.hub.deviceConnectionString(deviceId), ['--connect-timeout', '30']);
    expect(await app.exited).toBe(2);
    const text = app.lines.join('\n');
    expect(text).toMatch(/TLS certificate is not trusted .*pass the hub's CA with --ca/);
    expect(text).not.toMatch(/retrying/);
  });

  it('a wrong key: exit 3, the credentials refusal, and the key is not printed', async () => {
    const { deviceId } = await t.hub.createDevice('wrong-key-1');
    const wrongKey = Buffer.alloc(32, 7).toString('base64');
    const cs = t.hub
      .deviceConnectionString(deviceId)
      .replace(/SharedAccessKey=[^;]+/, `SharedAccessKey=${wrongKey}`);
    const app = startDevice(cs, ['--ca', caFile]);
    expect(await app.exited).toBe(3);
    const text = app.lines.join('\n');
    expect(text).toMatch(/the hub refused the device credentials/);
    expect(text).not.toContain(wrongKey);
  });
});
