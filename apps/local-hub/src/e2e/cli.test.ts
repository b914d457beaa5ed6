import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ChildApp, startChildApp } from '@iothub-reboot/app-kit';

const CLI = join(__dirname, '..', '..', 'dist', 'main.js');

// The CLI as a user runs it: the hub in the foreground, device commands against it, Ctrl-C, restart.
describe('local-hub CLI', () => {
  let dataDir: string;
  const running: ChildApp[] = [];

  const run = (args: string[]) => {
    const app = startChildApp({
      label: '[cli]',
      script: CLI,
      args: [...args, '--data-dir', dataDir],
      emit: () => undefined,
    });
    running.push(app);
    return app;
  };
  const startHub = async () => {
    const hub = run(['start', '--mqtt-port', '0', '--https-port', '0', '--view', '0', '--log-level', 'warn']);
    await hub.waitForLine(/Local IoT Hub is ready/);
    await hub.waitForLine(/^Stop:/);
    return hub;
  };
  const command = async (...args: string[]) => {
    const app = run(args);
    return { code: await app.exited, out: app.lines.join('\n') };
  };

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'local-hub-cli-'));
  });

  afterAll(async () => {
    await Promise.all(running.map((app) => app.stop()));
    await rm(dataDir, { recursive: true, force: true });
  });

  it('starts, prints how to connect, manages devices, and keeps them across a restart', async () => {
    const hub = await startHub();
    const banner = hub.lines.join('\n');
    expect(banner).toMatch(/service connection string +HostName=localhost;SharedAccessKeyName=iothubowner;/);
    expect(banner).toContain(join(dataDir, 'ca.pem'));
    // On by default for the CLI: its URL, with the per-start token, is in the banner (not in the logs).
    expect(banner).toMatch(/web view +http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]{43}/);

    const connection = JSON.parse(await readFile(join(dataDir, 'connection.json'), 'utf8'));
    expect(connection).toMatchObject({
      hostName: 'localhost',
      mqttPort: expect.any(Number),
      httpsPort: expect.any(Number),
      serviceConnectionString: expect.stringContaining('GatewayHostName=127.0.0.1:'),
      caFile: join(dataDir, 'ca.pem'),
    });

    const added = await command('device', 'add', 'sensor-1');
    expect(added.code).toBe(0);
    expect(added.out).toMatch(
      new RegExp(
        `^HostName=localhost;DeviceId=sensor-1;SharedAccessKey=[A-Za-z0-9+/=]+;GatewayHostName=127.0.0.1:${connection.mqttPort}$`,
      ),
    );
    expect(await command('device', 'add', 'sensor-1')).toMatchObject({
      code: 4,
      out: expect.stringMatching(/already exists/),
    });
    expect(await command('device', 'add', 'bad id!')).toMatchObject({ code: 2 });
    expect(await command('device', 'list')).toMatchObject({
      code: 0,
      out: expect.stringMatching(/^sensor-1\tenabled/),
    });
    expect((await command('device', 'show', 'sensor-1')).out).toBe(added.out);

    expect(await hub.stop()).toBe(0); // SIGTERM: close, flush, exit 0
    expect(await command('device', 'list')).toMatchObject({
      code: 3,
      out: expect.stringMatching(/not running|no local hub/),
    });

    const again = await startHub();
    expect((await command('device', 'show', 'sensor-1')).out).toBe(
      added.out.replace(
        /:\d+$/,
        `:${JSON.parse(await readFile(join(dataDir, 'connection.json'), 'utf8')).mqttPort}`,
      ),
    );
    expect(await command('device', 'remove', 'sensor-1')).toMatchObject({ code: 0 });
    expect(await command('device', 'show', 'sensor-1')).toMatchObject({
      code: 4,
      out: expect.stringMatching(/does not exist/),
    });
    expect(await again.stop()).toBe(0);
  }, 120_000); // a dozen CLI processes, one after another

  it('refuses bad flags with a usage error', async () => {
    expect(await command('--mqtt-port', 'x')).toMatchObject({
      code: 2,
      out: expect.stringMatching(/--mqtt-port/),
    });
    expect(await command('--owner-key', 'not base64!')).toMatchObject({
      code: 2,
      out: expect.stringMatching(/base64/),
    });
    const hub = await startHub();
    const { mqttPort } = JSON.parse(await readFile(join(dataDir, 'connection.json'), 'utf8'));
    const clash = await command('start', '--mqtt-port', String(mqttPort), '--https-port', '0', '--in-memory');
    expect(clash).toMatchObject({ code: 2, out: expect.stringMatching(/already in use/) });
    expect(await hub.stop()).toBe(0);
  }, 60_000);
});
