import { connackCode, connectRaw, deviceToken } from '../test-support/raw-mqtt';
import { startTestHub, type TestHub } from '../testing';

const OTHER_KEY = Buffer.alloc(32, 9).toString('base64');

describe('device authentication over MQTT', () => {
  let t: TestHub;
  beforeAll(async () => {
    t = await startTestHub();
  });
  afterAll(() => t.close());

  it('refuses a wrong key with UnauthorizedError in the SDK', async () => {
    const device = await t.hub.createDevice('auth-key');
    const client = await t.deviceClient(device.connectionString.replace(device.primaryKey, OTHER_KEY));
    await expect(client.open()).rejects.toMatchObject({ name: 'UnauthorizedError' });
  });

  it('refuses an unknown device', async () => {
    const device = await t.hub.createDevice('auth-known');
    const client = await t.deviceClient(device.connectionString.replace('auth-known', 'auth-unknown'));
    await expect(client.open()).rejects.toMatchObject({ name: 'UnauthorizedError' });
  });

  it('refuses a disabled device and disconnects it when disabled while connected', async () => {
    const device = await t.hub.createDevice('auth-disabled');
    const raw = await connectRaw(
      t.hub,
      'auth-disabled',
      deviceToken(t.hub, 'auth-disabled', device.primaryKey),
    );
    const closed = new Promise<void>((resolve) => raw.once('close', () => resolve()));
    await t.service.registry.update({ deviceId: 'auth-disabled', status: 'disabled' });
    await closed;
    await raw.endAsync();
    const client = await t.deviceClient(device.connectionString);
    await expect(client.open()).rejects.toMatchObject({ name: 'UnauthorizedError' });
  });

  it('answers CONNACK 4 for an expired or wrongly signed token, 5 for unknown devices, and accepts the secondary key', async () => {
    const device = await t.hub.createDevice('auth-raw');
    expect(
      await connackCode(
        connectRaw(t.hub, 'auth-raw', deviceToken(t.hub, 'auth-raw', device.primaryKey, -10)),
      ),
    ).toBe(4);
    expect(await connackCode(connectRaw(t.hub, 'auth-raw', deviceToken(t.hub, 'auth-raw', OTHER_KEY)))).toBe(
      4,
    );
    expect(await connackCode(connectRaw(t.hub, 'auth-raw', 'not a token'))).toBe(4);
    // A token for another device's resource does not open this one.
    expect(
      await connackCode(connectRaw(t.hub, 'auth-raw', deviceToken(t.hub, 'auth-other', device.primaryKey))),
    ).toBe(4);
    expect(await connackCode(connectRaw(t.hub, 'nobody', deviceToken(t.hub, 'nobody', OTHER_KEY)))).toBe(5);
    expect(
      await connackCode(connectRaw(t.hub, 'auth-raw', deviceToken(t.hub, 'auth-raw', device.secondaryKey))),
    ).toBe(0);
  });
});
