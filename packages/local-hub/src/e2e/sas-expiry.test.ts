import { Client as DeviceClient, SharedAccessSignatureAuthenticationProvider } from 'azure-iot-device';
import { Mqtt } from 'azure-iot-device-mqtt';
import { connectRaw, deviceToken } from '../test-support/raw-mqtt';
import { startTestHub, type TestHub } from '../testing';

// Issue #21 item 5. IoT Hub ends an MQTT connection when its SAS token expires ("Troubleshoot error
// 401003 IoTHubUnauthorized", learn.microsoft.com: "IoT Hub notices the expiration, and disconnects the
// device with 401003 IoTHubUnauthorized ... The IoT SDK generates a new SAS token ... reconnects"), and a
// regenerated key must cut off the sessions that used the old one.

const NEW_KEY = Buffer.alloc(32, 7).toString('base64');

describe('credentials of open MQTT connections', () => {
  let t: TestHub;
  beforeAll(async () => {
    t = await startTestHub();
  });
  afterAll(() => t.close());

  /** What the service sees: IoT Hub's `connectionState` of the device. */
  const state = async (deviceId: string) =>
    (await t.service.registry.get(deviceId)).responseBody.connectionState;

  it('disconnects a connection at its token expiry, keeping one with a valid token', async () => {
    const device = await t.hub.createDevice('sas-raw');
    const short = await connectRaw(t.hub, 'sas-raw', deviceToken(t.hub, 'sas-raw', device.primaryKey, 2));
    const other = await t.hub.createDevice('sas-raw-long');
    const long = await connectRaw(
      t.hub,
      'sas-raw-long',
      deviceToken(t.hub, 'sas-raw-long', other.primaryKey),
    );
    try {
      await new Promise<void>((resolve) => short.once('close', () => resolve()));
      expect(long.connected).toBe(true);
      expect(await state('sas-raw')).toBe('Disconnected');
    } finally {
      await Promise.all([short.endAsync(true), long.endAsync(true)]);
    }
  });

  it('the real SDK on a SAS token is disconnected at expiry and reconnects with a renewed token', async () => {
    const device = await t.hub.createDevice('sas-sdk');
    const token = (seconds: number) => deviceToken(t.hub, 'sas-sdk', device.primaryKey, seconds);
    // A token-only client (no key), as a device given tokens by a backend: it cannot renew by itself.
    const provider = new SharedAccessSignatureAuthenticationProvider({
      host: t.hub.hostName,
      deviceId: 'sas-sdk',
      sharedAccessSignature: token(2),
      gatewayHostName: /GatewayHostName=([^;]+)/.exec(device.connectionString)?.[1] ?? '',
    });
    // The SDK asks its provider for credentials on every connection attempt: a reconnect is an event.
    let connecting: (() => void) | undefined;
    const getDeviceCredentials = provider.getDeviceCredentials.bind(provider);
    provider.getDeviceCredentials = ((callback?: (err?: Error, credentials?: unknown) => void) => {
      connecting?.();
      return getDeviceCredentials(callback as never);
    }) as typeof provider.getDeviceCredentials;
    const client = DeviceClient.fromAuthenticationProvider(provider, Mqtt);
    await client.setOptions({ ca: t.hub.caPem });
    try {
      await client.open();
      client.onDeviceMethod('noop', (_request, response) => void response.send(200));
      await t.hub.whenDeviceSubscribedToMethods('sas-sdk');
      // The SDK reconnects for its method subscription once the hub ends the connection at expiry.
      await new Promise<void>((resolve) => {
        connecting = resolve;
      });
      connecting = undefined;
      expect(await state('sas-sdk')).toBe('Disconnected');
      provider.updateSharedAccessSignature(token(3600));
      await t.hub.whenDeviceSubscribedToMethods('sas-sdk');
      await client.getTwin();
      expect(await state('sas-sdk')).toBe('Connected');
    } finally {
      await client.close();
    }
  });

  it('cuts off a session when the key that signed its token is regenerated, not when the other key is', async () => {
    const device = await t.hub.createDevice('sas-rotate');
    const raw = await connectRaw(t.hub, 'sas-rotate', deviceToken(t.hub, 'sas-rotate', device.primaryKey));
    const closed = new Promise<void>((resolve) => raw.once('close', () => resolve()));
    const update = (keys: { primaryKey: string; secondaryKey: string }) =>
      t.service.registry.update({ deviceId: 'sas-rotate', authentication: { symmetricKey: keys } });
    try {
      await update({ primaryKey: device.primaryKey, secondaryKey: NEW_KEY });
      // Still served: a twin round trip after the update.
      await raw.subscribeAsync('$iothub/twin/res/#');
      const answered = new Promise<string>((resolve) => raw.once('message', (topic) => resolve(topic)));
      await raw.publishAsync('$iothub/twin/GET/?$rid=1', '');
      expect(await answered).toMatch(/^\$iothub\/twin\/res\/200\//);

      await update({ primaryKey: NEW_KEY, secondaryKey: NEW_KEY });
      await closed;
      expect(await state('sas-rotate')).toBe('Disconnected');
      const renewed = await t.deviceClient(device.connectionString.replace(device.primaryKey, NEW_KEY));
      await renewed.open();
      expect(await state('sas-rotate')).toBe('Connected');
    } finally {
      await raw.endAsync(true);
    }
  });
});
