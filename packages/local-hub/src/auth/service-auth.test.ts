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

  // A token that verified once is remembered (the SDK resends the same one with every request); the
  // memory must never accept what a full check would refuse.
  it('refuses a remembered token once it has expired', () => {
    const header = token('service', policyKeys.service, NOW + 10);
    expect(authorizeServiceRequest(header, ['ServiceConnect'], context)).toBe('service');
    expect(() =>
      authorizeServiceRequest(header, ['ServiceConnect'], { ...context, nowSeconds: NOW + 10 }),
    ).toThrow(expect.objectContaining({ status: 401, message: expect.stringMatching(/expired/) }));
  });

  it('refuses a remembered token after its policy key changed, or for another host', () => {
    const header = token('service');
    expect(authorizeServiceRequest(header, ['ServiceConnect'], context)).toBe('service');
    const rotated = {
      ...policyKeys,
      service: derivePolicyKey('cm90YXRlZCBrZXkgZm9yIHRoZSB0ZXN0IQ==', 'service'),
    };
    expect(() =>
      authorizeServiceRequest(header, ['ServiceConnect'], { ...context, policyKeys: rotated }),
    ).toThrow(expect.objectContaining({ status: 401 }));
    expect(() =>
      authorizeServiceRequest(header, ['ServiceConnect'], { ...context, hostName: 'other.example' }),
    ).toThrow(expect.objectContaining({ status: 401 }));
  });

  it('checks the permission of a remembered token on every call', () => {
    const header = token('registryRead');
    expect(authorizeServiceRequest(header, ['RegistryRead'], context)).toBe('registryRead');
    expect(() => authorizeServiceRequest(header, ['ServiceConnect'], context)).toThrow(
      expect.objectContaining({ status: 401, message: expect.stringMatching(/does not grant/) }),
    );
  });
});
