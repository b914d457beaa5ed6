import { createHmac } from 'node:crypto';

/** The permissions a shared access policy can grant (IoT Hub's names). */
export type Permission = 'RegistryRead' | 'RegistryWrite' | 'ServiceConnect' | 'DeviceConnect';

/** The built-in policies of a new IoT Hub, with the permissions IoT Hub gives them. */
export const POLICY_PERMISSIONS = {
  iothubowner: ['RegistryRead', 'RegistryWrite', 'ServiceConnect', 'DeviceConnect'],
  service: ['ServiceConnect'],
  registryRead: ['RegistryRead'],
  registryReadWrite: ['RegistryRead', 'RegistryWrite'],
} as const satisfies Record<string, readonly Permission[]>;

export type PolicyName = keyof typeof POLICY_PERMISSIONS;

export const POLICY_NAMES = Object.keys(POLICY_PERMISSIONS) as PolicyName[];

/**
 * The well-known `iothubowner` key of every local hub, public on purpose like Azurite's well-known account
 * key: it makes the default connection string the same on every machine. Never use it on a network you do
 * not trust; override it with the `policyKeys` option.
 */
export const WELL_KNOWN_OWNER_KEY = 'bG9jYWwtaHViOndlbGwta25vd24tcHVibGljLWtleSE=';

/** Keys of the other policies derive from the owner key, so overriding that one changes them all. */
export function derivePolicyKey(ownerKey: string, policy: PolicyName): string {
  if (policy === 'iothubowner') return ownerKey;
  return createHmac('sha256', Buffer.from(ownerKey, 'base64')).update(`policy:${policy}`).digest('base64');
}

export function hasPermission(policy: PolicyName, permission: Permission): boolean {
  return (POLICY_PERMISSIONS[policy] as readonly Permission[]).includes(permission);
}

export function isPolicyName(name: string): name is PolicyName {
  return Object.hasOwn(POLICY_PERMISSIONS, name);
}
