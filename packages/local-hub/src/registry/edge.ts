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

/**
 * IoT Hub's nesting limit ("How an IoT Edge device can be used as a gateway", Cloud identities): "The top
 * node of a gateway hierarchy can have up to five generations of children ... the IoT Edge device in the
 * fifth generation can't have any children, IoT Edge or otherwise." So no device has more than 5 ancestors.
 * The same page's "by default, a parent can have up to 100 children" is the parent's edgeHub runtime limit
 * (its `MaxConnectedClients` setting raises it), not a registry rule: the registry counts no children.
 */
export const MAX_EDGE_GENERATIONS = 5;

/**
 * An Edge device's scope: `ms-azure-iot-edge://<deviceId>-<generationId>` (Microsoft.Azure.Devices
 * `Device.Scope`: "the name of the ... edge device, a dash, and the generation Id"), so a device re-created
 * under the same id has a new scope and the children of the old one do not follow it.
 */
export function newEdgeScope(deviceId: string, generationId: string): string {
  return `ms-azure-iot-edge://${deviceId}-${generationId}`;
}

/** What the rules need to know of the registry's other devices; the caller answers from its records. */
export interface EdgeHierarchy {
  /** The id of the IoT Edge device whose deviceScope is `scope`, if any. */
  ownerOf(scope: string): string | undefined;
  /** The id of the Edge parent of `deviceId`, if it has one. */
  parentOf(deviceId: string): string | undefined;
  /** How many generations of devices are below `deviceId` (0: no children). */
  generationsBelow(deviceId: string): number;
}

/**
 * The Edge fields of `deviceId` (whose generation id is `generationId`) after `input`, given its `current`
 * ones and the rest of the registry. HubError ArgumentInvalid for a scope IoT Hub would refuse.
 */
export function resolveEdgeFields(
  deviceId: string,
  current: EdgeFields,
  input: EdgeInput,
  hierarchy: EdgeHierarchy,
  generationId: string,
): EdgeFields {
  const iotEdge = input.iotEdge ?? current.iotEdge === true;
  /** The Edge parent `scope` names, checked: another Edge device, no cycle, within the depth limit. */
  const requireParent = (scope: string, what: string, below: () => number) => {
    const owner = hierarchy.ownerOf(scope);
    if (owner === undefined || owner === deviceId) {
      throw new HubError('ArgumentInvalid', `${what} must be the deviceScope of another IoT Edge device.`);
    }
    checkGeneration(deviceId, owner, hierarchy, below);
  };
  const currentParent = current.iotEdge ? current.parentScopes?.[0] : current.deviceScope;
  const wantedParents =
    input.parentScopes === undefined
      ? current.parentScopes
      : (input.parentScopes ?? []).filter((s) => s !== '');
  if (iotEdge) {
    const own =
      current.iotEdge && current.deviceScope ? current.deviceScope : newEdgeScope(deviceId, generationId);
    if (input.deviceScope && input.deviceScope !== own) {
      throw new HubError(
        'ArgumentInvalid',
        "An IoT Edge device's deviceScope is generated and cannot be changed.",
      );
    }
    const parents = wantedParents ?? [];
    if (parents.length > 1)
      throw new HubError('ArgumentInvalid', 'An IoT Edge device has at most one parent.');
    const parent = parents[0];
    // An unchanged parent was checked when it was set; its children may have grown since, within the rules.
    if (parent !== undefined && parent !== currentParent) {
      requireParent(parent, 'parentScopes', () => hierarchy.generationsBelow(deviceId));
    }
    return { iotEdge: true, deviceScope: own, parentScopes: parent === undefined ? [] : [parent] };
  }
  // A leaf device: its parent is its deviceScope, and parentScopes mirror it.
  // An Edge device turned leaf loses its own scope, also when the body sends it back as read.
  const ownScope = current.iotEdge ? current.deviceScope : undefined;
  const scope =
    input.deviceScope === undefined || (ownScope !== undefined && input.deviceScope === ownScope)
      ? current.iotEdge
        ? undefined
        : current.deviceScope
      : input.deviceScope || undefined;
  // A body that sets deviceScope decides the parent: the parentScopes it carries along are not checked.
  // The az CLI's `children remove` and `parent set --force` send the device as read, the old parentScopes
  // with the new deviceScope, and IoT Hub then lists the device under the new parent only
  // (azure-iot-cli-extension azext_iot/operations/hub.py `_update_device_parent`, its live test
  // test_iothub_nested_edge_int.py).
  const parentsChecked = input.parentScopes && input.deviceScope === undefined;
  if (scope === undefined) {
    if (parentsChecked && wantedParents && wantedParents.length > 0) {
      throw new HubError('ArgumentInvalid', "A leaf device's parent is set through its deviceScope.");
    }
    return {};
  }
  if (
    parentsChecked &&
    wantedParents &&
    wantedParents.length > 0 &&
    (wantedParents.length !== 1 || wantedParents[0] !== scope)
  ) {
    throw new HubError('ArgumentInvalid', "A leaf device's parentScopes must be its deviceScope.");
  }
  if (scope !== currentParent || current.iotEdge)
    requireParent(scope, "A leaf device's deviceScope", () => 0);
  return { deviceScope: scope, parentScopes: [scope] };
}

/**
 * Refuses a parent under which `deviceId` (with `below()` generations under it) would be deeper than
 * {@link MAX_EDGE_GENERATIONS}, or which is `deviceId` itself or one of its descendants (a cycle).
 */
function checkGeneration(
  deviceId: string,
  parentId: string,
  hierarchy: EdgeHierarchy,
  below: () => number,
): void {
  let generation = 1;
  for (let at: string | undefined = parentId; at !== undefined; at = hierarchy.parentOf(at)) {
    if (at === deviceId) {
      throw new HubError('ArgumentInvalid', 'An IoT Edge device cannot be nested under its own descendant.');
    }
    if (at !== parentId) generation += 1;
    if (generation > MAX_EDGE_GENERATIONS) break;
  }
  if (generation + below() > MAX_EDGE_GENERATIONS) {
    throw new HubError(
      'ArgumentInvalid',
      `An IoT Edge hierarchy has at most ${MAX_EDGE_GENERATIONS} generations of children below its top device.`,
    );
  }
}
