import { resolve } from 'node:path';
import { WELL_KNOWN_OWNER_KEY } from './auth/policies';
import { ConfigError, resolveConfig } from './config';

describe('resolveConfig', () => {
  it('applies the documented defaults', () => {
    const config = resolveConfig();
    expect(config).toMatchObject({
      hostName: 'localhost',
      bindAddress: '127.0.0.1',
      gatewayHost: '127.0.0.1',
      mqttPort: 8883,
      httpsPort: 8443,
      dataDir: resolve('.local-hub'),
      compactAfter: Number.POSITIVE_INFINITY,
      slowClientTimeoutMs: 30_000,
      serverKeyType: 'ec',
    });
    expect(config.policyKeys.iothubowner).toBe(WELL_KNOWN_OWNER_KEY);
    expect(config.policyKeys.service).not.toBe(WELL_KNOWN_OWNER_KEY);
  });

  it('keeps nothing on disk in memory, accepts port 0 and dials 127.0.0.1 when bound to all interfaces', () => {
    const config = resolveConfig({ inMemory: true, mqttPort: 0, httpsPort: 0, bindAddress: '0.0.0.0' });
    expect(config).toMatchObject({ dataDir: undefined, mqttPort: 0, httpsPort: 0, gatewayHost: '127.0.0.1' });
  });

  it('derives the other policy keys from an overridden owner key', () => {
    const owner = Buffer.alloc(32, 8).toString('base64');
    const a = resolveConfig({ policyKeys: { iothubowner: owner } });
    expect(a.policyKeys.iothubowner).toBe(owner);
    expect(a.policyKeys.service).not.toBe(resolveConfig().policyKeys.service);
  });

  it.each([
    [{ mqttPort: 70000 }, /mqttPort/],
    [{ httpsPort: -1 }, /httpsPort/],
    [{ hostName: 'bad host' }, /host name/],
    [{ bindAddress: 'example.com' }, /bind address/],
    [{ policyKeys: { service: 'c2hvcnQ=' } }, /policy service/],
    [{ slowClientTimeoutMs: 50 }, /slowClientTimeoutMs/],
    [{ slowClientTimeoutMs: 1.5e3 + 0.5 }, /slowClientTimeoutMs/],
    [{ serverKeyType: 'dsa' as 'ec' }, /serverKeyType/],
  ])('refuses %j', (options, message) => {
    expect(() => resolveConfig(options)).toThrow(ConfigError);
    expect(() => resolveConfig(options)).toThrow(message);
  });

  it('never echoes a bad key', () => {
    expect(() => resolveConfig({ policyKeys: { iothubowner: 'secret-but-not-base64!' } })).toThrow(
      expect.objectContaining({ message: expect.not.stringContaining('secret') }),
    );
  });
});
