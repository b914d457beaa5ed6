import { randomBytes } from 'node:crypto';
import { HubError } from '../errors';
import type { HubState } from '../state';
import { NEVER_SET_TIME, newGenerationId } from '../time-format';
import type { X509Authentication } from '../x509/device-authentication';
import { isThumbprint } from '../x509/thumbprint';
import { isValidDeviceId } from './device-id';
import { type EdgeFields, type EdgeHierarchy, type EdgeInput, resolveEdgeFields } from './edge';

export type DeviceStatus = 'enabled' | 'disabled';

/**
 * What the hub stores for one device identity (connection state lives with the MQTT sessions); the IoT
 * Edge capability and scopes are in `EdgeFields` (see `edge.ts`).
 */
export interface DeviceRecord extends EdgeFields {
  deviceId: string;
  /** Distinguishes devices re-created under the same id. */
  generationId: string;
  etag: string;
  status: DeviceStatus;
  statusReason?: string;
  statusUpdatedTime: string;
  /** Empty for an X.509 device. */
  primaryKey: string;
  secondaryKey: string;
  /** Set for an X.509 device (no keys); absent for a SAS device. */
  x509?: X509Authentication;
}

/** Writable fields of a device, as accepted from the REST API or the library. */
export interface DeviceInput extends EdgeInput {
  status?: DeviceStatus;
  statusReason?: string;
  primaryKey?: string;
  secondaryKey?: string;
  /** An X.509 identity; `null` makes an X.509 device a SAS one again; absent keeps the current kind. */
  x509?: X509Authentication | null;
}

/** Hooks so a device's twin and sessions follow its identity. */
export interface DeviceLifecycle {
  /** Before the device is stored: a crash in between leaves an orphan twin (ignored, replaced on re-create),
   *  never a device without a twin. */
  creating(device: DeviceRecord): Promise<void>;
  /** After the device is stored (e.g. an IoT Edge device's system modules). */
  created(device: DeviceRecord): Promise<void>;
  removed(deviceId: string): Promise<void>;
  updated(device: DeviceRecord): void;
}

/** The identity registry: ids, keys, status and etags, persisted in the store's `devices` collection. */
export class DeviceRegistry {
  /** Ids whose creation has started but is not stored yet: a second create of one is refused at once. */
  private readonly creating = new Set<string>();
  /** Ids whose removal has started: an Edge device among them takes no new children. */
  private readonly removing = new Set<string>();

  constructor(
    private readonly store: HubState,
    private readonly lifecycle: DeviceLifecycle,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** The device as it is on disk: what clients are shown and authenticated against (issue #21). */
  get(deviceId: string): DeviceRecord | undefined {
    return this.store.durable('devices', deviceId);
  }

  /** The device, or HubError DeviceNotFound. */
  require(deviceId: string): DeviceRecord {
    const device = this.get(deviceId);
    if (!device) throw new HubError('DeviceNotFound', `Device ${JSON.stringify(deviceId)} does not exist.`);
    return device;
  }

  list(): DeviceRecord[] {
    return this.store.durableValues('devices');
  }

  /**
   * The registry's parent/child relations as the Edge rules see them, over every accepted write (durable or
   * not, so concurrent writes see each other) and without the Edge devices being removed (a child cannot
   * join a parent on its way out). Built lazily: most writes name no scope and need none of it.
   */
  private hierarchy(): EdgeHierarchy {
    let byScope: Map<string, string> | undefined;
    let children: Map<string, string[]> | undefined;
    const owners = () => {
      if (!byScope) {
        byScope = new Map();
        for (const device of this.store.values('devices')) {
          if (device.iotEdge && device.deviceScope && !this.removing.has(device.deviceId)) {
            byScope.set(device.deviceScope, device.deviceId);
          }
        }
      }
      return byScope;
    };
    const parentOf = (deviceId: string) => {
      const scope = parentScopeOf(this.store.get('devices', deviceId));
      return scope === undefined ? undefined : owners().get(scope);
    };
    const childrenOf = (deviceId: string) => {
      if (!children) {
        children = new Map();
        for (const device of this.store.values('devices')) {
          const parent = parentOf(device.deviceId);
          if (parent === undefined) continue;
          const siblings = children.get(parent);
          if (siblings) siblings.push(device.deviceId);
          else children.set(parent, [device.deviceId]);
        }
      }
      return children.get(deviceId) ?? [];
    };
    const generationsBelow = (deviceId: string, seen = new Set<string>()): number => {
      seen.add(deviceId);
      let deepest = 0;
      for (const child of childrenOf(deviceId)) {
        if (!seen.has(child)) deepest = Math.max(deepest, 1 + generationsBelow(child, seen));
      }
      return deepest;
    };
    return {
      ownerOf: (scope) => owners().get(scope),
      parentOf,
      generationsBelow: (id) => generationsBelow(id),
    };
  }

  /** The devices whose parent is the IoT Edge device `edge`: leaves by deviceScope, Edge devices by parentScopes. */
  private childrenOf(edge: DeviceRecord): DeviceRecord[] {
    if (!edge.iotEdge || !edge.deviceScope) return [];
    return this.store.values('devices').filter((device) => parentScopeOf(device) === edge.deviceScope);
  }

  /** Creates a device; keys are generated when absent. HubError DeviceAlreadyExists / ArgumentInvalid. */
  async create(deviceId: string, input: DeviceInput = {}): Promise<DeviceRecord> {
    if (!isValidDeviceId(deviceId)) {
      throw new HubError(
        'ArgumentInvalid',
        "A device id has 1 to 128 characters: letters, digits and - : . + % _ # * ? ! ( ) , = @ ; $ '.",
      );
    }
    if (this.store.get('devices', deviceId) || this.creating.has(deviceId)) {
      throw new HubError(
        'DeviceAlreadyExists',
        `A device with id ${JSON.stringify(deviceId)} already exists.`,
      );
    }
    const generationId = newGenerationId(this.now());
    const edge = resolveEdgeFields(deviceId, {}, input, this.hierarchy(), generationId);
    const device: DeviceRecord = {
      deviceId,
      ...edge,
      generationId,
      etag: newEtag(),
      status: input.status ?? 'enabled',
      ...(input.statusReason === undefined ? {} : { statusReason: input.statusReason }),
      // IoT Hub shows a status that never changed with its never-set time.
      statusUpdatedTime: NEVER_SET_TIME,
      ...keysFor(input, undefined),
    };
    this.creating.add(deviceId);
    try {
      await this.lifecycle.creating(device);
      // The parent may have started its removal meanwhile: a child must not outlive it.
      const parentScope = parentScopeOf(device);
      if (parentScope !== undefined && this.hierarchy().ownerOf(parentScope) === undefined) {
        throw new HubError('ArgumentInvalid', 'The parent IoT Edge device of this device was removed.');
      }
      await this.store.put('devices', deviceId, device);
    } finally {
      this.creating.delete(deviceId);
    }
    await this.lifecycle.created(device);
    return device;
  }

  /** Updates status and keys of an existing device; `ifMatch` is an etag or `*`. */
  async update(deviceId: string, input: DeviceInput, ifMatch: string): Promise<DeviceRecord> {
    const current = this.latest(deviceId);
    checkEtag(current.etag, ifMatch);
    const statusChanged = input.status !== undefined && input.status !== current.status;
    // The credentials come whole from keysFor (an X.509 device made SAS again loses its x509 part), the
    // Edge fields from resolveEdgeFields.
    const { x509: _credentials, iotEdge: _e, deviceScope: _s, parentScopes: _p, ...identity } = current;
    const edge = resolveEdgeFields(deviceId, current, input, this.hierarchy(), current.generationId);
    const device: DeviceRecord = {
      ...identity,
      ...edge,
      etag: newEtag(),
      status: input.status ?? current.status,
      statusUpdatedTime: statusChanged ? this.now().toISOString() : current.statusUpdatedTime,
      ...keysFor(input, current),
      ...(input.statusReason === undefined ? {} : { statusReason: input.statusReason }),
    };
    // An Edge device made a leaf loses its scope: its children lose their parent as on its removal, queued
    // ahead of its own write, so none is left naming the scope.
    const orphaned = current.iotEdge && !device.iotEdge ? this.childrenOf(current) : [];
    await Promise.all([
      ...orphaned.map((child) => this.orphan(child)),
      this.store.put('devices', deviceId, device),
    ]);
    this.lifecycle.updated(device);
    if (device.iotEdge && !current.iotEdge) await this.lifecycle.created(device);
    return device;
  }

  /**
   * Removes a device; `ifMatch` is an etag or `*` (absent means `*`). The children of an IoT Edge device
   * lose their parent first (a leaf its deviceScope, an Edge child its parentScopes), each a durable write
   * with a new etag, so no child is ever left naming a scope that no longer exists, even after a crash
   * between the two steps (the parent is then still there, without children). Their connections stay.
   */
  async remove(deviceId: string, ifMatch = '*'): Promise<void> {
    const current = this.latest(deviceId);
    checkEtag(current.etag, ifMatch);
    this.removing.add(deviceId);
    try {
      await Promise.all(this.childrenOf(current).map((child) => this.orphan(child)));
      await this.store.delete('devices', deviceId);
    } finally {
      this.removing.delete(deviceId);
    }
    await this.lifecycle.removed(deviceId);
  }

  /** `child` without its parent: what an update clearing its scope would store. */
  private async orphan(child: DeviceRecord): Promise<void> {
    const { deviceScope: _s, parentScopes: _p, ...rest } = child;
    const device: DeviceRecord = child.iotEdge
      ? { ...child, parentScopes: [], etag: newEtag() }
      : { ...rest, etag: newEtag() };
    await this.store.put('devices', child.deviceId, device);
    this.lifecycle.updated(device);
  }

  /**
   * The device with its writes not yet durable, or HubError DeviceNotFound: what an update builds on and
   * checks the etag against, so concurrent updates see each other (a failed one fails those built on it).
   */
  private latest(deviceId: string): DeviceRecord {
    const device = this.store.get('devices', deviceId);
    if (!device) throw new HubError('DeviceNotFound', `Device ${JSON.stringify(deviceId)} does not exist.`);
    return device;
  }
}

/** The scope naming a device's parent: a leaf's deviceScope, an Edge device's first parentScopes entry. */
function parentScopeOf(device: DeviceRecord | undefined): string | undefined {
  if (!device) return undefined;
  return device.iotEdge ? device.parentScopes?.[0] : device.deviceScope;
}

/** `If-Match` semantics: `*` matches any version; quotes around the etag are optional. */
export function checkEtag(current: string, ifMatch: string): void {
  // A quoted entity tag, weak (`W/"…"`, RFC 9110 §8.8.3) or not, or the bare etag the hub gave. `W/` is
  // only a weakness prefix before a quote: the hub's etags are base64, and one in 4,096 starts with `W/`.
  const wanted = ifMatch
    .trim()
    .replace(/^W\/(?=")/, '')
    .replace(/^"(.*)"$/, '$1');
  if (wanted !== '*' && wanted !== current) {
    throw new HubError('PreconditionFailed', 'The etag in If-Match does not match the current version.');
  }
}

/**
 * The credentials part of a record: X.509 devices have no keys; a SAS device keeps (or, when it was an
 * X.509 device or is new, generates) the keys it is not given.
 */
function keysFor(
  input: DeviceInput,
  current: DeviceRecord | undefined,
): Pick<DeviceRecord, 'primaryKey' | 'secondaryKey' | 'x509'> {
  const x509 = input.x509 === undefined ? current?.x509 : (input.x509 ?? undefined);
  if (x509) return { primaryKey: '', secondaryKey: '', x509: checkX509(x509) };
  const keep = current && !current.x509 ? current : undefined;
  return {
    primaryKey: checkKey(input.primaryKey) ?? keep?.primaryKey ?? newKey(),
    secondaryKey: checkKey(input.secondaryKey) ?? keep?.secondaryKey ?? newKey(),
  };
}

/** A new opaque etag (for devices and modules). */
export function newEtag(): string {
  return randomBytes(9).toString('base64');
}

/** A new random symmetric key, 32 bytes in base64. */
export function newKey(): string {
  return randomBytes(32).toString('base64');
}

/** Library callers bypass the REST parsing: the same thumbprint rule here. */
function checkX509(x509: X509Authentication): X509Authentication {
  if (x509.type !== 'selfSigned') return x509;
  for (const thumbprint of [x509.primaryThumbprint, x509.secondaryThumbprint]) {
    if (thumbprint !== null && !isThumbprint(thumbprint)) {
      throw new HubError(
        'ArgumentInvalid',
        'A thumbprint is the hex SHA-1 (40 digits) or SHA-256 (64 digits) of the certificate.',
      );
    }
  }
  return x509;
}

/** IoT Hub accepts base64 symmetric keys of 16 to 64 bytes. */
export function checkKey(key: string | undefined): string | undefined {
  if (key === undefined || key === '') return undefined;
  const bytes = Buffer.from(key, 'base64');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(key) || bytes.length < 16 || bytes.length > 64) {
    throw new HubError('ArgumentInvalid', 'Symmetric keys must be base64 of 16 to 64 bytes.');
  }
  return key;
}
