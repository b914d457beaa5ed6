import { HubError } from '../errors';
import { derivePolicyKey, POLICY_NAMES, type PolicyName, WELL_KNOWN_OWNER_KEY } from './policies';
import { createSasToken } from './sas';
import { authorizeServiceRequest } from './service-auth';

const NOW = 1_800_000_000;
const policyKeys = Object.fromEntries(
  POLICY_NAMES.map((p) => [p, derivePolicyKey(WELL_KNOWN_OWNER_KEY, p)]),
) as Record<PolicyName, string>;
const context = { hostName: 'localhost', policyKeys, nowSeconds: NOW };
const token = (policy: PolicyName, key = policyKeys[policy], se = NOW + 60) =>
  createSasToken('localhost', key, se, policy);

describe('authorizeServiceRequest', () => {
  it('returns the policy when it grants one of the permissions', () => {
    expect(authorizeServiceRequest(token('registryRead'), ['RegistryRead', 'ServiceConnect'], context)).toBe(
      'registryRead',
    );
    expect(authorizeServiceRequest(token('iothubowner'), ['RegistryWrite'], context)).toBe('iothubowner');
  });

  it.each([
    ['no header', undefined],
    ['a policy without the permission', token('registryRead')],
    ['an unknown policy', createSasToken('localhost', WELL_KNOWN_OWNER_KEY, NOW + 60, 'admin')],
    ['a device token (no skn)', createSasToken('localhost', WELL_KNOWN_OWNER_KEY, NOW + 60)],
    ['the key of another policy', token('service', policyKeys.iothubowner)],
    ['an expired token', token('service', policyKeys.service, NOW - 1)],
  ])('answers 401 to %s', (_label, header) => {
    expect(() => authorizeServiceRequest(header, ['ServiceConnect'], context)).toThrow(
      expect.objectContaining({ status: 401, errorName: 'IotHubUnauthorizedAccess' }),
    );
    expect(() => authorizeServiceRequest(header, ['ServiceConnect'], context)).toThrow(HubError);
  });

  it('derives distinct policy keys from the owner key', () => {
    expect(new Set(Object.values(policyKeys)).size).toBe(POLICY_NAMES.length);
    expect(policyKeys.iothubowner).toBe(WELL_KNOWN_OWNER_KEY);
    expect(Buffer.from(WELL_KNOWN_OWNER_KEY, 'base64')).toHaveLength(32);
  });
});
