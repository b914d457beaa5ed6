import type { DeviceRecord } from '../registry/devices';
import { authenticateDevice, type DeviceAuthInput } from './device-auth';
import { derivePolicyKey, POLICY_NAMES, type PolicyName } from './policies';
import { createSasToken } from './sas';

const NOW = 1_800_000_000;
const OWNER = Buffer.alloc(32, 5).toString('base64');
const policyKeys = Object.fromEntries(POLICY_NAMES.map((p) => [p, derivePolicyKey(OWNER, p)])) as Record<
  PolicyName,
  string
>;
const device: DeviceRecord = {
  deviceId: 'd1',
  generationId: 'g',
  etag: 'e',
  status: 'enabled',
  statusUpdatedTime: new Date(0).toISOString(),
  primaryKey: Buffer.alloc(32, 1).toString('base64'),
  secondaryKey: Buffer.alloc(32, 2).toString('base64'),
};

function input(overrides: Partial<DeviceAuthInput> = {}): DeviceAuthInput {
  return {
    hostName: 'hub',
    clientId: 'd1',
    username: 'hub/d1/?api-version=2021-04-12&DeviceClientType=x',
    password: createSasToken('hub/devices/d1', device.primaryKey, NOW + 60),
    device,
    policyKeys,
    nowSeconds: NOW,
    ...overrides,
  };
}

describe('authenticateDevice', () => {
  it('accepts the SDK connect of an enabled device', () => {
    // The grant names the token's expiry and signing key: the connection ends with either.
    expect(authenticateDevice(input())).toEqual({
      ok: true,
      expiresAtSeconds: NOW + 60,
      deviceKey: input().device?.primaryKey,
    });
  });

  it('accepts a token signed by a policy with DeviceConnect and refuses one without', () => {
    const resource = 'hub/devices/d1';
    expect(
      authenticateDevice(
        input({ password: createSasToken(resource, policyKeys.iothubowner, NOW + 60, 'iothubowner') }),
      ),
    ).toEqual({ ok: true, expiresAtSeconds: NOW + 60, deviceKey: undefined });
    expect(
      authenticateDevice(
        input({ password: createSasToken(resource, policyKeys.service, NOW + 60, 'service') }),
      ),
    ).toMatchObject({ ok: false, returnCode: 5 });
  });

  it.each([
    ['unknown device', { device: undefined }, 5],
    ['disabled device', { device: { ...device, status: 'disabled' as const } }, 5],
    ['username for another device', { username: 'hub/d2/?api-version=1' }, 4],
    ['username for another hub', { username: 'other/d1/' }, 4],
    ['no password', { password: undefined }, 4],
    ['expired token', { password: createSasToken('hub/devices/d1', device.primaryKey, NOW - 1) }, 4],
    [
      'token for another device',
      { password: createSasToken('hub/devices/d2', device.primaryKey, NOW + 60) },
      4,
    ],
  ])('refuses an %s with CONNACK %i', (_label, overrides, returnCode) => {
    expect(authenticateDevice(input(overrides as Partial<DeviceAuthInput>))).toMatchObject({
      ok: false,
      returnCode,
    });
  });
});
