import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ChildApp, startChildApp } from '@iothub-reboot/app-kit';

const CLI = join(__dirname, '..', '..', 'dist', 'cli', 'main.js');

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

  it('--in-memory keeps state in memory but writes ca.pem and connection.json to a temporary directory', async () => {
    const hub = startChildApp({
      label: '[cli]',
      script: CLI,
      args: [
        'start',
        '--in-memory',
        '--mqtt-port',
        '0',
        '--https-port',
        '0',
        '--view',
        '0',
        '--log-level',
        'warn',
      ],
      emit: () => undefined,
    });
    running.push(hub);
    await hub.waitForLine(/^Stop:/);
    const banner = hub.lines.join('\n');
    const tempDir = /connection file +(\S+)\/connection\.json/.exec(banner)?.[1] ?? '';
    expect(tempDir.startsWith(join(tmpdir(), 'local-hub-'))).toBe(true);
    expect(banner).toContain(`(${tempDir} is temporary: removed on exit)`);
    expect(banner).toContain('state                      in memory, gone on exit');
    // The banner's hint, as printed, works from another process.
    expect(banner).toContain(`device add <device-id> --data-dir ${tempDir}`);
    expect(await readFile(join(tempDir, 'ca.pem'), 'utf8')).toMatch(/BEGIN CERTIFICATE/);
    const added = startChildApp({
      label: '[cli]',
      script: CLI,
      args: ['device', 'add', 'mem-1', '--data-dir', tempDir],
      emit: () => undefined,
    });
    running.push(added);
    expect(await added.exited).toBe(0);
    expect(added.lines).toEqual([
      expect.stringMatching(/^HostName=localhost;DeviceId=mem-1;SharedAccessKey=/),
    ]);
    expect(await hub.stop()).toBe(0);
    await expect(stat(tempDir)).rejects.toMatchObject({ code: 'ENOENT' });
  }, 60_000);

  it('one hub per data directory: a clear refusal, and a lock left by kill -9 is taken over', async () => {
    const first = await startHub();
    const second = await command('start', '--mqtt-port', '0', '--https-port', '0', '--view', '0');
    expect(second.code).toBe(2);
    expect(second.out).toMatch(
      /^local-hub: .*: The data directory is in use by another hub \(process \d+ on /,
    );
    expect(second.out).toContain('--data-dir');
    expect(await first.kill()).not.toBe(0); // SIGKILL: the LOCK file stays behind
    const again = await startHub();
    expect(await again.stop()).toBe(0);
  }, 60_000);

  it('--version prints the package version and nothing else', async () => {
    const { version } = JSON.parse(await readFile(join(__dirname, '..', '..', 'package.json'), 'utf8'));
    expect(await command('--version')).toEqual({ code: 0, out: version });
    expect(await command('--reboot-seconds', '-1')).toEqual({
      code: 2,
      out: 'local-hub: unknown option --reboot-seconds (see --help)',
    });
  });

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
    const clash = await command(
      'start',
      '--mqtt-port',
      String(mqttPort),
      '--https-port',
      '0',
      '--view',
      '0',
      '--in-memory',
    );
    expect(clash).toMatchObject({ code: 2, out: expect.stringMatching(/already in use/) });
    expect(await hub.stop()).toBe(0);
  }, 60_000);
});
