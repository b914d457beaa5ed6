import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Client as DeviceClient, X509AuthenticationProvider } from 'azure-iot-device';
import { Mqtt } from 'azure-iot-device-mqtt';
import { cliHarness } from '../test-support/cli-harness';

// "Try X.509 in one minute", as a user would: a test CA and device certificates from `local-hub cert`,
// the CA trusted with `local-hub ca add --key` (proof of possession), devices registered with
// `device add --x509-ca` / `--x509-cert`, then the real SDK connecting with them.
describe('local-hub X.509 commands', () => {
  const cli = cliHarness('local-hub-x509-cli-');
  const { command } = cli;
  const clients: DeviceClient[] = [];

  beforeAll(() => cli.setUp());
  afterAll(async () => {
    await Promise.allSettled(clients.map((c) => c.close()));
    await cli.tearDown();
  });

  /** An SDK client for an X.509 device of the CLI's hub (the SDK ignores GatewayHostName for x509=true). */
  async function connect(
    deviceId: string,
    connection: { hostName: string; mqttPort: number; caFile: string },
  ) {
    const cert = await readFile(join(cli.dataDir, 'x509', `${deviceId}.pem`), 'utf8');
    const key = await readFile(join(cli.dataDir, 'x509', `${deviceId}.key.pem`), 'utf8');
    const provider = new X509AuthenticationProvider({
      host: connection.hostName,
      deviceId,
      gatewayHostName: `127.0.0.1:${connection.mqttPort}`,
      x509: { cert, key },
    });
    const client = DeviceClient.fromAuthenticationProvider(provider, Mqtt);
    clients.push(client);
    await client.setOptions({ ca: await readFile(connection.caFile, 'utf8'), cert, key });
    await client.open();
    await client.close();
  }

  it('makes certificates, trusts the CA, registers devices that then connect, and revokes by removal', async () => {
    const hub = await cli.startHub();
    const connection = await cli.connection();

    expect(await command('cert', 'ca', 'my-root')).toMatchObject({
      code: 0,
      out: expect.stringMatching(/ca add my-root/),
    });
    expect((await stat(join(cli.dataDir, 'x509', 'my-root.key.pem'))).mode & 0o777).toBe(0o600);
    expect((await command('cert', 'device', 'cam-1', '--ca', 'my-root')).code).toBe(0);
    const selfSigned = await command('cert', 'device', 'cam-2');
    expect(selfSigned.out).toMatch(/thumbprint +[0-9A-F]{40} \(SHA-1\)/);

    const rootPem = join(cli.dataDir, 'x509', 'my-root.pem');
    const added = await command(
      'ca',
      'add',
      'my-root',
      rootPem,
      '--key',
      join(cli.dataDir, 'x509', 'my-root.key.pem'),
    );
    expect(added).toMatchObject({ code: 0, out: expect.stringMatching(/^my-root\tverified\t[0-9A-F]{40}$/) });
    expect((await command('ca', 'list')).out).toMatch(
      /^my-root\tverified\t[0-9A-F]{40}\tCN=my-root\texpires /,
    );

    const caDevice = await command('device', 'add', 'cam-1', '--x509-ca');
    expect(caDevice.out).toBe(
      `HostName=localhost;DeviceId=cam-1;x509=true;GatewayHostName=127.0.0.1:${connection.mqttPort}`,
    );
    expect((await command('device', 'show', 'cam-1')).out).toBe(caDevice.out);
    const ssCert = join(cli.dataDir, 'x509', 'cam-2.pem');
    expect((await command('device', 'add', 'cam-2', '--x509-cert', ssCert)).code).toBe(0);
    await connect('cam-1', connection);
    await connect('cam-2', connection);

    expect(await command('ca', 'remove', 'my-root')).toMatchObject({ code: 0, out: 'removed my-root' });
    await expect(connect('cam-1', connection)).rejects.toMatchObject({ name: 'UnauthorizedError' });
    expect(await command('ca', 'list')).toMatchObject({ code: 0, out: 'no CA certificates' });
    expect(await command('ca', 'remove', 'my-root')).toMatchObject({
      code: 4,
      out: expect.stringMatching(/CertificateNotFound/),
    });
    expect(await hub.stop()).toBe(0);
  }, 240_000); // about fifteen CLI processes, one after another

  it('refuses bad X.509 arguments with a usage error, and says when no hub runs', async () => {
    expect(await command('cert', 'nope', 'x')).toMatchObject({
      code: 2,
      out: expect.stringMatching(/cert needs ca or device/),
    });
    expect(await command('cert', 'ca')).toMatchObject({
      code: 2,
      out: expect.stringMatching(/needs a name/),
    });
    expect(await command('cert', 'device', 'd', '--ca', 'missing')).toMatchObject({
      code: 4,
      out: expect.stringMatching(/cannot read the CA certificate/),
    });
    expect(await command('ca', 'add', 'x')).toMatchObject({
      code: 2,
      out: expect.stringMatching(/needs the certificate file/),
    });
    expect(await command('device', 'add', 'd', '--x509-ca', '--x509-cert', 'f')).toMatchObject({ code: 2 });
    expect(await command('device', 'list', '--x509-ca')).toMatchObject({ code: 2 });
    expect(await command('ca', 'list')).toMatchObject({ code: 3 });
  }, 120_000);
});
