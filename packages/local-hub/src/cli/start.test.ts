import { commandName, readyBanner } from './start';

const hub = (httpsPort: number) => ({
  hostName: 'localhost',
  mqttPort: 8883,
  httpsPort,
  caFile: '/data/.local-hub/ca.pem',
  connectionFile: '/data/.local-hub/connection.json',
  serviceConnectionString: () => 'HostName=localhost;SharedAccessKeyName=iothubowner;SharedAccessKey=a2V5',
});

const facts = { wellKnownKey: true, dataDir: '/data/.local-hub', temporary: false, inMemory: false };

describe('readyBanner', () => {
  it('on 443 prints the recipe for unmodified SDK code: the CA variables for Node and Python', () => {
    const banner = readyBanner(hub(443), facts);
    expect(banner).toMatch(/Port 443 mode: +Registry, Client and JobClient\.fromConnectionString/);
    expect(banner).toContain('NODE_EXTRA_CA_CERTS=/data/.local-hub/ca.pem');
    expect(banner).toContain(
      'SSL_CERT_FILE=/data/.local-hub/ca.pem REQUESTS_CA_BUNDLE=/data/.local-hub/ca.pem',
    );
    expect(banner).not.toContain('--https-port 443');
  });

  it('names the quota the hub enforces, or how to turn one on', () => {
    expect(readyBanner(hub(8443), { ...facts, quota: 'S2:3' })).toMatch(/throttles +IoT Hub S2:3 rates/);
    expect(readyBanner(hub(8443), facts)).toMatch(/throttles +off \(--quota S1\|S2\|S3\[:units\]\)/);
  });

  it('elsewhere says how to get there without running as root', () => {
    const banner = readyBanner(hub(8443), facts);
    expect(banner).not.toContain('Port 443 mode');
    expect(banner).toContain('--https-port 443');
    expect(banner).toMatch(
      /setcap cap_net_bind_service=\+ep .* sysctl net\.ipv4\.ip_unprivileged_port_start=443/,
    );
  });
});

describe('commandName', () => {
  it('names the command the user typed, so the banner hints can be pasted', () => {
    // `pnpm local-hub` reaches the bin through pnpm's exec (no root script: its banner would be on stdout).
    expect(
      commandName({ npm_command: 'exec', npm_config_user_agent: 'pnpm/10.34.8 npm/? node/v20.20.2' }),
    ).toBe('pnpm local-hub');
    expect(commandName({ npm_command: 'exec', npm_config_user_agent: 'npm/11.19.1 node/v20.20.2' })).toBe(
      'npx @iothub-reboot/local-hub',
    );
    expect(commandName({})).toBe('local-hub');
  });
});
