import { HubError } from '../errors';
import { hasPermission, isPolicyName, type Permission, type PolicyName } from './policies';
import { parseSasToken, SasError, verifySasToken } from './sas';

/**
 * Checks the `Authorization` header of a REST request: a SAS token for `<hostName>` signed by a shared access
 * policy key (`skn`), unexpired, whose policy has one of `permissions`. Returns the policy; throws HubError 401.
 */
export function authorizeServiceRequest(
  header: string | undefined,
  permissions: readonly Permission[],
  context: { hostName: string; policyKeys: Readonly<Record<PolicyName, string>>; nowSeconds: number },
): PolicyName {
  if (!header) throw unauthorized('The request has no Authorization header.');
  try {
    const token = parseSasToken(header);
    const policy = token.skn;
    if (policy === undefined || !isPolicyName(policy)) {
      throw unauthorized('The token does not name a shared access policy of this hub.');
    }
    verifySasToken(token, {
      resource: context.hostName,
      keys: [context.policyKeys[policy]],
      nowSeconds: context.nowSeconds,
    });
    if (!permissions.some((permission) => hasPermission(policy, permission))) {
      throw unauthorized(`The policy ${policy} does not grant ${permissions.join(' or ')}.`);
    }
    return policy;
  } catch (err) {
    if (err instanceof SasError) throw unauthorized(`${err.message}.`);
    throw err;
  }
}

function unauthorized(message: string): HubError {
  return new HubError('IotHubUnauthorizedAccess', message);
}
