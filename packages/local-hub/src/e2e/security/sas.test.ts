import { createServiceClients } from '@iothub-reboot/service-connection';
import { derivePolicyKey, WELL_KNOWN_OWNER_KEY } from '../../auth/policies';
import { createSasToken } from '../../auth/sas';
import { expectHubError } from '../../test-support/hub-errors';
import { connackCode, connectRaw, deviceToken } from '../../test-support/raw-mqtt';
import { rawRequest, serviceToken } from '../../test-support/rest-client';
import { startTestHub, type TestHub } from '../../testing';

const API = '?api-version=2021-04-12';
const sigOf = (token: string) => decodeURIComponent(/sig=([^&]+)/.exec(token)?.[1] ?? '');

describe('SAS: every wrong credential is refused with the right status and no detail leaked', () => {
  let t: TestHub;
  beforeAll(async () => {
    t = await startTestHub();
    await t.hub.createDevice('sas-1');
  });
  afterAll(() => t.close());

  it.each([
    [
      'a wrong signature',
      () => serviceToken(t.hub).replace(/sig=[^&]+/, `sig=${encodeURIComponent('A'.repeat(43))}=`),
    ],
    ['an expired token', () => serviceToken(t.hub, 'iothubowner', -1)],
    [
      'a device token (no policy)',
      () => deviceToken(t.hub, 'sas-1', t.hub.listDevices()[0]?.primaryKey ?? ''),
    ],
    [
      'a token for another hub',
      () => createSasToken('other-hub', WELL_KNOWN_OWNER_KEY, 9_999_999_999, 'iothubowner'),
    ],
    [
      'a policy signed with another policy key',
      () => createSasToken(t.hub.hostName, WELL_KNOWN_OWNER_KEY, 9_999_999_999, 'service'),
    ],
  ])('REST answers 401 to %s and echoes neither token nor signature', async (_label, token) => {
    const auth = token();
    const res = await rawRequest(t.hub, 'GET', `/twins/sas-1${API}`, { auth });
    expectHubError(res, [auth, sigOf(auth), WELL_KNOWN_OWNER_KEY]);
    expect([res.status, res.headers['iothub-errorcode']]).toEqual([401, 'IotHubUnauthorizedAccess']);
  });

  it('enforces policy permissions through the real SDK', async () => {
    const reader = createServiceClients(t.hub.serviceConnectionString('registryRead'), { ca: t.hub.caPem });
    const service = createServiceClients(t.hub.serviceConnectionString('service'), { ca: t.hub.caPem });
    try {
      const { responseBody: twin } = await reader.registry.getTwin('sas-1');
      await expect(reader.registry.updateTwin('sas-1', { tags: { a: 1 } }, twin.etag)).rejects.toMatchObject({
        name: 'UnauthorizedError',
      });
      await expect(
        reader.client.invokeDeviceMethod('sas-1', { methodName: 'reboot', payload: null }),
      ).rejects.toMatchObject({ name: 'UnauthorizedError' });
      await expect(service.registry.create({ deviceId: 'sas-by-service' })).rejects.toMatchObject({
        name: 'UnauthorizedError',
      });
      await expect(service.registry.delete('sas-1')).rejects.toMatchObject({ name: 'UnauthorizedError' });
      // What each policy may do still works.
      await expect(service.registry.getTwin('sas-1')).resolves.toBeDefined();
      expect(t.hub.listDevices().map((d) => d.deviceId)).not.toContain('sas-by-service');
    } finally {
      await reader.close();
      await service.close();
    }
  });

  it('refuses a token for a removed device (CONNACK 5) and disconnects it when removed', async () => {
    const device = await t.hub.createDevice('sas-removed');
    const token = deviceToken(t.hub, 'sas-removed', device.primaryKey);
    const raw = await connectRaw(t.hub, 'sas-removed', token);
    const closed = new Promise<void>((resolve) => raw.once('close', () => resolve()));
    await t.service.registry.delete('sas-removed');
    await closed;
    await raw.endAsync(true);
    expect(await connackCode(connectRaw(t.hub, 'sas-removed', token))).toBe(5);
    // Re-created under the same id, it has new keys: the old token stays useless.
    await t.hub.createDevice('sas-removed');
    expect(await connackCode(connectRaw(t.hub, 'sas-removed', token))).toBe(4);
  });

  it('rejects tokens signed with a key replaced through Registry.update, and accepts the new key', async () => {
    const device = await t.hub.createDevice('sas-rekey');
    const oldToken = deviceToken(t.hub, 'sas-rekey', device.primaryKey);
    const oldSecondary = deviceToken(t.hub, 'sas-rekey', device.secondaryKey);
    const primaryKey = Buffer.alloc(32, 21).toString('base64');
    const secondaryKey = Buffer.alloc(32, 22).toString('base64');
    await t.service.registry.update({
      deviceId: 'sas-rekey',
      authentication: { symmetricKey: { primaryKey, secondaryKey } },
    });
    expect(await connackCode(connectRaw(t.hub, 'sas-rekey', oldToken))).toBe(4);
    expect(await connackCode(connectRaw(t.hub, 'sas-rekey', oldSecondary))).toBe(4);
    const client = await t.deviceClient(t.hub.deviceConnectionString('sas-rekey'));
    await expect(client.open()).resolves.toBeDefined();
    // A policy key without DeviceConnect cannot open a device connection either.
    const serviceKey = derivePolicyKey(WELL_KNOWN_OWNER_KEY, 'service');
    const policyToken = createSasToken(
      `${t.hub.hostName}/devices/sas-rekey`,
      serviceKey,
      9_999_999_999,
      'service',
    );
    expect(await connackCode(connectRaw(t.hub, 'sas-rekey', policyToken))).toBe(5);
  });
});
