import { HubError } from '../errors';
import type { HubState } from '../state';
import { newGenerationId } from '../time-format';
import { isValidDeviceId } from './device-id';
import { checkEtag, checkKey, type DeviceRegistry, newEtag, newKey } from './devices';
import type { EDGE_SYSTEM_MODULES } from './edge';
import { identityKey } from './identity';

/** What the hub stores for one module identity, keyed by `<deviceId>/<moduleId>` in `modules`. */
export interface ModuleRecord {
  deviceId: string;
  moduleId: string;
  /** Distinguishes modules re-created under the same id. */
  generationId: string;
  etag: string;
  /** Free text naming who manages the module (IoT Edge writes `IotEdge`); IoT Hub only stores it. */
  managedBy?: string;
  primaryKey: string;
  secondaryKey: string;
}

/** Writable fields of a module. */
export interface ModuleInput {
  managedBy?: string;
  primaryKey?: string;
  secondaryKey?: string;
}

/** Hooks so a module's twin and session follow its identity (as for devices). */
export interface ModuleLifecycle {
  creating(module: ModuleRecord): Promise<void>;
  removed(module: ModuleRecord): Promise<void>;
  updated(module: ModuleRecord): void;
}

/**
 * Module identities ("Understand and use module twins": up to 50 per device, each with its own keys and
 * twin). Module ids follow the device-id rules (1–128 of the same ASCII set, per IoT Hub's REST reference).
 */
export class ModuleRegistry {
  private readonly creating = new Set<string>();

  constructor(
    private readonly store: HubState,
    private readonly devices: DeviceRegistry,
    private readonly lifecycle: ModuleLifecycle,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** The module as it is on disk: what clients are shown and authenticated against, as for devices. */
  get(deviceId: string, moduleId: string): ModuleRecord | undefined {
    return this.store.durable('modules', identityKey(deviceId, moduleId));
  }

  /** The module; HubError DeviceNotFound for a missing device, ModuleNotFound for a missing module. */
  require(deviceId: string, moduleId: string): ModuleRecord {
    this.devices.require(deviceId);
    const module = this.get(deviceId, moduleId);
    if (!module) throw moduleNotFound(deviceId, moduleId);
    return module;
  }

  /** The durable modules of an existing device, in creation order. HubError DeviceNotFound. */
  listOn(deviceId: string): ModuleRecord[] {
    this.devices.require(deviceId);
    return this.all().filter((module) => module.deviceId === deviceId);
  }

  /** Every durable module. */
  all(): ModuleRecord[] {
    return this.store.durableValues('modules');
  }

  /**
   * Creates a module on an existing device; keys are generated when absent. A module id starting with `$`
   * is IoT Hub's own (`$edgeAgent`, `$edgeHub`): refused with 400 ArgumentInvalid, as a real hub answers
   * `$specialmodule2` (Azure/azure-iot-sdk-csharp#875: "ErrorCode:ArgumentInvalid;BadRequest"), while a `$`
   * inside an id (`special$module`) is accepted. Only the hub itself creates them (`createSystemModule`).
   */
  async create(deviceId: string, moduleId: string, input: ModuleInput = {}): Promise<ModuleRecord> {
    if (moduleId.startsWith('$')) {
      throw new HubError(
        'ArgumentInvalid',
        'Module ids starting with "$" are reserved for IoT Edge system modules ($edgeAgent, $edgeHub).',
      );
    }
    return this.add(deviceId, moduleId, input);
  }

  /** Registers one of an IoT Edge device's system modules (`$edgeAgent`, `$edgeHub`), if missing. */
  async createSystemModule(deviceId: string, moduleId: (typeof EDGE_SYSTEM_MODULES)[number]): Promise<void> {
    const key = identityKey(deviceId, moduleId);
    if (this.store.get('modules', key) || this.creating.has(key)) return;
    await this.add(deviceId, moduleId, {});
  }

  private async add(deviceId: string, moduleId: string, input: ModuleInput): Promise<ModuleRecord> {
    this.devices.require(deviceId);
    if (!isValidDeviceId(moduleId)) {
      throw new HubError(
        'ArgumentInvalid',
        "A module id has 1 to 128 characters: letters, digits and - : . + % _ # * ? ! ( ) , = @ ; $ '.",
      );
    }
    const key = identityKey(deviceId, moduleId);
    // Against the latest state (writes not yet durable included), so two creates of one id cannot both pass.
    if (this.store.get('modules', key) || this.creating.has(key)) {
      throw new HubError(
        'ModuleAlreadyExistsOnDevice',
        `A module with id ${JSON.stringify(moduleId)} already exists on device ${JSON.stringify(deviceId)}.`,
      );
    }
    if (this.ofDevice(deviceId).length >= MODULES_PER_DEVICE) {
      throw new HubError('ArgumentInvalid', `A device has at most ${MODULES_PER_DEVICE} modules.`);
    }
    const module: ModuleRecord = {
      deviceId,
      moduleId,
      generationId: newGenerationId(this.now()),
      etag: newEtag(),
      ...(input.managedBy ? { managedBy: input.managedBy } : {}),
      primaryKey: checkKey(input.primaryKey) ?? newKey(),
      secondaryKey: checkKey(input.secondaryKey) ?? newKey(),
    };
    this.creating.add(key);
    try {
      await this.lifecycle.creating(module);
      await this.store.put('modules', key, module);
    } finally {
      this.creating.delete(key);
    }
    return module;
  }

  /** Updates keys and `managedBy`; `ifMatch` is an etag or `*`. */
  async update(
    deviceId: string,
    moduleId: string,
    input: ModuleInput,
    ifMatch: string,
  ): Promise<ModuleRecord> {
    const current = this.latest(deviceId, moduleId);
    checkEtag(current.etag, ifMatch);
    const { managedBy: _dropped, ...rest } = current;
    const managedBy = input.managedBy ?? current.managedBy;
    const module: ModuleRecord = {
      ...rest,
      ...(managedBy ? { managedBy } : {}),
      etag: newEtag(),
      primaryKey: checkKey(input.primaryKey) ?? current.primaryKey,
      secondaryKey: checkKey(input.secondaryKey) ?? current.secondaryKey,
    };
    await this.store.put('modules', identityKey(deviceId, moduleId), module);
    this.lifecycle.updated(module);
    return module;
  }

  /** Removes a module; `ifMatch` is an etag or `*`. */
  async remove(deviceId: string, moduleId: string, ifMatch = '*'): Promise<void> {
    const current = this.latest(deviceId, moduleId);
    checkEtag(current.etag, ifMatch);
    await this.drop(current);
  }

  /** The device is gone: so are its modules ("deleting a device deletes its module identities"). */
  async removeAllOf(deviceId: string): Promise<void> {
    for (const module of this.ofDevice(deviceId)) await this.drop(module);
  }

  /**
   * The module with its writes not yet durable (or HubError): what an update or removal builds on and checks
   * the etag against, so concurrent writes see each other (as `DeviceRegistry.latest`).
   */
  private latest(deviceId: string, moduleId: string): ModuleRecord {
    this.devices.require(deviceId);
    const module = this.store.get('modules', identityKey(deviceId, moduleId));
    if (!module) throw moduleNotFound(deviceId, moduleId);
    return module;
  }

  /** Including modules not yet durable: the limit and cascades count every accepted write. */
  private ofDevice(deviceId: string): ModuleRecord[] {
    return this.store.values('modules').filter((module) => module.deviceId === deviceId);
  }

  private async drop(module: ModuleRecord): Promise<void> {
    await this.store.delete('modules', identityKey(module.deviceId, module.moduleId));
    await this.lifecycle.removed(module);
  }
}

function moduleNotFound(deviceId: string, moduleId: string): HubError {
  return new HubError(
    'ModuleNotFound',
    `Module ${JSON.stringify(moduleId)} does not exist on device ${JSON.stringify(deviceId)}.`,
  );
}

/** IoT Hub's limit of module identities per device ("IoT Hub quotas and throttling": 50). */
export const MODULES_PER_DEVICE = 50;
