import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type ChildApp, startChildApp } from '@iothub-reboot/app-kit';
import { describeListeningOn } from '../test-support/needs-port';

const CLI = join(__dirname, '..', '..', 'dist', 'cli', 'main.js');
const run = promisify(execFile);
const describeOn443 = describeListeningOn(443, 'cli-443');

// `local-hub --https-port 443`: the banner prints the recipe for unmodified SDK code, and that code (here
// azure-iothub's Registry.fromConnectionString in a process of its own) works with NODE_EXTRA_CA_CERTS only.
describeOn443('local-hub --https-port 443', () => {
  let dataDir: string;
  let hub: ChildApp | undefined;
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'local-hub-cli-443-'));
  });
  afterAll(async () => {
    await hub?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('prints the recipe, and Registry.fromConnectionString works with only NODE_EXTRA_CA_CERTS', async () => {
    hub = startChildApp({
      label: '[cli-443]',
      script: CLI,
      args: [
        'start',
        '--https-port',
        '443',
        '--mqtt-port',
        '0',
        '--view',
        '0',
        '--quota',
        'S1',
        '--log-level',
        'warn',
      ],
      env: { LOCAL_HUB_DATA_DIR: dataDir },
      emit: () => undefined,
    });
    await hub.waitForLine(/^Stop:/);
    const banner = hub.lines.join('\n');
    const caFile = join(dataDir, 'ca.pem');
    expect(banner).toMatch(/Port 443 mode: +Registry, Client and JobClient\.fromConnectionString/);
    expect(banner).toContain(`NODE_EXTRA_CA_CERTS=${caFile}`);
    expect(banner).toContain(`SSL_CERT_FILE=${caFile} REQUESTS_CA_BUNDLE=${caFile}`);
    expect(banner).toMatch(/throttles +IoT Hub S1:1 rates/);
    const { serviceConnectionString } = JSON.parse(await readFile(join(dataDir, 'connection.json'), 'utf8'));
    expect(serviceConnectionString).toMatch(
      /^HostName=localhost;SharedAccessKeyName=iothubowner;SharedAccessKey=[^;]+$/,
    );

    const userCode =
      "require('azure-iothub').Registry.fromConnectionString(process.env.CS)" +
      ".create({ deviceId: 'cli-443-device' }).then((r) => process.stdout.write(r.responseBody.deviceId))";
    const { stdout } = await run(process.execPath, ['-e', userCode], {
      cwd: join(__dirname, '..', '..'),
      env: { PATH: process.env.PATH ?? '', NODE_EXTRA_CA_CERTS: caFile, CS: serviceConnectionString },
      timeout: 30_000,
    });
    expect(stdout).toBe('cli-443-device');
  });
});
