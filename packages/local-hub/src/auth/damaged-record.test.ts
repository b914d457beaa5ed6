import type { DeviceRecord } from '../registry/devices';
import { authenticateDevice, CONNACK_NOT_AUTHORIZED } from './device-auth';
import { WELL_KNOWN_OWNER_KEY } from './policies';
import { createSasToken } from './sas';

// Issue #21 item 8: a state record without keys (damaged, or edited by hand) refuses that device; it used to
// throw inside the broker's authenticate hook and take the process down on CONNECT.

it('refuses a device whose record has no keys instead of throwing', () => {
  const device = { deviceId: 'd', status: 'enabled' } as unknown as DeviceRecord;
  const result = authenticateDevice({
    hostName: 'hub',
    clientId: 'd',
    username: 'hub/d/?api-version=2021-04-12',
    password: createSasToken('hub/devices/d', WELL_KNOWN_OWNER_KEY, Math.floor(Date.now() / 1000) + 60),
    device,
    policyKeys: {} as never,
    nowSeconds: Math.floor(Date.now() / 1000),
  });
  expect(result).toEqual({
    ok: false,
    returnCode: CONNACK_NOT_AUTHORIZED,
    reason: 'device record has no keys',
  });
});
