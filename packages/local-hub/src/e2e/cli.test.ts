import { execFile } from 'node:child_process';
import { readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import { cliHarness, FREE_PORTS } from '../test-support/cli-harness';

const REPO_ROOT = join(__dirname, '..', '..', '..', '..');

// The CLI as a user runs it: the hub in the foreground, device commands against it, Ctrl-C, restart.
describe('local-hub CLI', () => {
  const cli = cliHarness('local-hub-cli-');
  const { command, startHub } = cli;

  beforeAll(() => cli.setUp());
  afterAll(() => cli.tearDown());

  it('starts, prints how to connect, manages devices, and keeps them across a restart', async () => {
    const hub = await startHub();
    const banner = hub.lines.join('\n');
    expect(banner).toMatch(/service connection string +HostName=localhost;SharedAccessKeyName=iothubowner;/);
    expect(banner).toContain(join(cli.dataDir, 'ca.pem'));
    // On by default for the CLI: its URL, with the per-start token, is in the banner (not in the logs).
    expect(banner).toMatch(/web view +http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]{43}/);

    const connection = await cli.connection();
    expect(connection).toMatchObject({
      hostName: 'localhost',
      mqttPort: expect.any(Number),
      httpsPort: expect.any(Number),
      serviceConnectionString: expect.stringContaining('GatewayHostName=127.0.0.1:'),
      caFile: join(cli.dataDir, 'ca.pem'),
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
      added.out.replace(/:\d+$/, `:${(await cli.connection()).mqttPort}`),
    );
    expect(await command('device', 'remove', 'sensor-1')).toMatchObject({ code: 0 });
    expect(await command('device', 'show', 'sensor-1')).toMatchObject({
      code: 4,
      out: expect.stringMatching(/does not exist/),
    });
    expect(await again.stop()).toBe(0);
  }, 120_000); // a dozen CLI processes, one after another

  it('--in-memory keeps state in memory but writes ca.pem and connection.json to a temporary directory', async () => {
    const hub = cli.spawn(['start', '--in-memory', ...FREE_PORTS]);
    await hub.waitForLine(/^Stop:/);
    const banner = hub.lines.join('\n');
    const tempDir = /connection file +(\S+)\/connection\.json/.exec(banner)?.[1] ?? '';
    expect(tempDir.startsWith(join(tmpdir(), 'local-hub-'))).toBe(true);
    expect(banner).toContain(`(${tempDir} is temporary: removed on exit)`);
    expect(banner).toContain('state                      in memory, gone on exit');
    // The banner's hint, as printed, works from another process.
    expect(banner).toContain(`device add <device-id> --data-dir ${tempDir}`);
    expect(await readFile(join(tempDir, 'ca.pem'), 'utf8')).toMatch(/BEGIN CERTIFICATE/);
    const added = cli.spawn(['device', 'add', 'mem-1', '--data-dir', tempDir]);
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
    const { mqttPort } = await cli.connection();
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

// Its own data directory: the suites run in a random order in CI, and the device it adds must not show
// up in another test's `device list`.
describe('local-hub CLI through pnpm', () => {
  const capture = cliHarness('local-hub-capture-');
  beforeAll(() => capture.setUp());
  afterAll(() => capture.tearDown());

  it('`CS=$(pnpm local-hub device show <id>)` captures exactly the connection string (README)', async () => {
    const hub = await capture.startHub();
    const added = await capture.command('device', 'add', 'capture-1');
    expect(added.code).toBe(0);
    // The documented command, through the repo's pinned pnpm (a root devDependency), from the repo root.
    // pnpm prints a `> script` banner on stdout for a root script; the bin it runs through exec has none,
    // and the build before it (skipped inside turbo's test task, which built the hub) writes to stderr.
    const { stdout } = await promisify(execFile)('pnpm', ['local-hub', 'device', 'show', 'capture-1'], {
      cwd: REPO_ROOT,
      env: {
        ...process.env,
        PATH: `${join(REPO_ROOT, 'node_modules', '.bin')}${delimiter}${process.env.PATH ?? ''}`,
        LOCAL_HUB_DATA_DIR: capture.dataDir,
      },
    });
    expect(stdout).toBe(`${added.out}\n`);
    expect(await hub.stop()).toBe(0);
  }, 60_000); // pnpm, the hub's build when run outside turbo (cached), then the CLI
});
