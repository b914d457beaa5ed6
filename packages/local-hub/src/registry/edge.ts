import { HubError } from '../errors';

/**
 * IoT Edge scopes, as IoT Hub's registry keeps them ("How an IoT Edge device can be used as a gateway":
 * parent and child relationships; .NET `Device.Scope`/`ParentScopes`): an Edge device gets a generated,
 * immutable `deviceScope` `ms-azure-iot-edge://<deviceId>-<n>`; a leaf device becomes a child by setting its
 * `deviceScope` to an Edge device's scope (its `parentScopes` then hold that scope); an Edge device is nested
 * under another through `parentScopes` (one parent). Pure: the caller looks scopes up in the registry.
 */
export interface EdgeFields {
  iotEdge?: true;
  deviceScope?: string;
  parentScopes?: string[];
}

/** What a create or update asks for; `undefined` keeps the current value, `null` or `''` clears a scope. */
export interface EdgeInput {
  iotEdge?: boolean;
  deviceScope?: string | null;
  parentScopes?: readonly string[] | null;
}

/** The system modules every IoT Edge device has in IoT Hub's registry. */
export const EDGE_SYSTEM_MODULES = ['$edgeAgent', '$edgeHub'] as const;

/** .NET ticks (100 ns since 0001-01-01), the number IoT Hub puts after the device id in a scope. */
const TICKS_AT_UNIX_EPOCH = 621_355_968_000_000_000n;

export function newEdgeScope(deviceId: string, now: Date): string {
  const ticks = TICKS_AT_UNIX_EPOCH + BigInt(now.getTime()) * 10_000n;
  return `ms-azure-iot-edge://${deviceId}-${ticks}`;
}

/**
 * The Edge fields of `deviceId` after `input`, given its `current` ones and `edgeOwnerOf(scope)` (the id of
 * the Edge device with that scope, if any). HubError ArgumentInvalid for a scope IoT Hub would refuse.
 */
export function resolveEdgeFields(
  deviceId: string,
  current: EdgeFields,
  input: EdgeInput,
  edgeOwnerOf: (scope: string) => string | undefined,
  now: Date,
): EdgeFields {
  const iotEdge = input.iotEdge ?? current.iotEdge === true;
  const requireParent = (scope: string, what: string) => {
    const owner = edgeOwnerOf(scope);
    if (owner === undefined || owner === deviceId) {
      throw new HubError('ArgumentInvalid', `${what} must be the deviceScope of another IoT Edge device.`);
    }
  };
  const wantedParents =
    input.parentScopes === undefined
      ? current.parentScopes
      : (input.parentScopes ?? []).filter((s) => s !== '');
  if (iotEdge) {
    const own = current.iotEdge && current.deviceScope ? current.deviceScope : newEdgeScope(deviceId, now);
    if (input.deviceScope && input.deviceScope !== own) {
      throw new HubError(
        'ArgumentInvalid',
        "An IoT Edge device's deviceScope is generated and cannot be changed.",
      );
    }
    const parents = wantedParents ?? [];
    if (parents.length > 1)
      throw new HubError('ArgumentInvalid', 'An IoT Edge device has at most one parent.');
    for (const scope of parents) requireParent(scope, 'parentScopes');
    return { iotEdge: true, deviceScope: own, ...(parents.length > 0 ? { parentScopes: [...parents] } : {}) };
  }
  // A leaf device: its parent is its deviceScope, and parentScopes mirror it.
  const scope =
    input.deviceScope === undefined
      ? current.iotEdge
        ? undefined // An Edge device turned leaf loses its own scope.
        : current.deviceScope
      : input.deviceScope || undefined;
  if (scope === undefined) {
    if (input.parentScopes && wantedParents && wantedParents.length > 0) {
      throw new HubError('ArgumentInvalid', "A leaf device's parent is set through its deviceScope.");
    }
    return {};
  }
  requireParent(scope, "A leaf device's deviceScope");
  if (
    input.parentScopes &&
    wantedParents &&
    wantedParents.length > 0 &&
    (wantedParents.length !== 1 || wantedParents[0] !== scope)
  ) {
    throw new HubError('ArgumentInvalid', "A leaf device's parentScopes must be its deviceScope.");
  }
  return { deviceScope: scope, parentScopes: [scope] };
}
