import { throwAsHubError } from '../error-translation';
import { HubError } from '../errors';
import type { HubState } from '../state';
import {
  applyTwinPatch,
  createTwin,
  type JsonObject,
  replaceTwinSection,
  type TwinRecord,
  validateTwinPatch,
} from '../twin';
import { setOwn } from '../twin/json';
import { checkEtag } from './devices';
import { describeIdentity, identityKey, parseIdentityKey } from './identity';

/**
 * A desired-properties change to push to the device or module (`key` as in `identityKey`): the patch and
 * the new desired `$version`.
 */
export type DesiredChangeListener = (key: string, patch: JsonObject, version: number) => void;

/** The service's twin update: `tags` and/or `properties.desired` (reported is the device's). */
export interface ServiceTwinUpdate {
  tags?: unknown;
  properties?: { desired?: unknown };
}

/**
 * Reported-properties updates of one device: at most 16 in flight (not yet durable), then up to 200 wait
 * their turn (backpressure: a burst is slowed, not failed), and beyond that 429 ThrottlingException, as IoT
 * Hub throttles twin operations per device ("IoT Hub quotas and throttling": back off and retry). Without
 * a bound, one device's flood queues unbounded work that every other client waits behind. An MQTT
 * connection is held to 16 twin requests before it gets here (mqtt/twin-request-gate, backpressure), so the
 * waiting and the 429 are reached only by a device whose earlier connections still have updates in flight.
 */
export const TWIN_UPDATES_IN_FLIGHT = 16;
export const TWIN_UPDATES_WAITING = 200;

/**
 * Device and module twins, persisted in the store's `twins` collection under their identity key
 * (`<deviceId>` or `<deviceId>/<moduleId>`, see `identityKey`): every method's `deviceId` parameter is
 * such a key. Module twins follow the same rules as device twins ("Understand and use module twins").
 */
export class TwinRegistry {
  private readonly updateSlots = new Map<string, { inFlight: number; waiting: (() => void)[] }>();

  constructor(
    private readonly store: HubState,
    private readonly onDesiredChange: DesiredChangeListener,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** The twin as it is on disk: what the service and the device are shown (never a write not yet durable). */
  get(deviceId: string): TwinRecord | undefined {
    return this.store.durable('twins', deviceId);
  }

  /** Every twin, device and module twins alike (a module twin has `moduleId`). */
  all(): TwinRecord[] {
    return this.store.durableValues('twins');
  }

  async create(deviceId: string, moduleId?: string): Promise<void> {
    await this.store.put(
      'twins',
      identityKey(deviceId, moduleId),
      createTwin(deviceId, this.now(), moduleId),
    );
  }

  /**
   * Records the model id a device or module announced when it connected (`model-id=` in the MQTT
   * username), as IoT Hub does for Plug and Play devices ("IoT Plug and Play device developer guide":
   * the model id is announced at connection and stored in the twin's `modelId`). No write when unchanged.
   */
  async recordModelId(key: string, modelId: string): Promise<void> {
    const twin = this.store.get('twins', key);
    if (!twin || twin.modelId === modelId) return;
    await this.store.put('twins', key, { ...twin, modelId });
  }

  async remove(deviceId: string): Promise<void> {
    await this.store.delete('twins', deviceId);
  }

  /** Applies a device's reported-properties patch; resolves with the new twin once durable. */
  async patchReported(deviceId: string, patch: unknown): Promise<TwinRecord> {
    const release = await this.updateSlot(deviceId);
    try {
      const twin = this.latest(deviceId);
      const next = asHubError(() =>
        applyTwinPatch(twin, 'reported', validateTwinPatch(patch, 'reported'), this.now()),
      );
      await this.store.put('twins', deviceId, next);
      return next;
    } finally {
      release();
    }
  }

  /** Waits for one of the device's update slots; returns its release. HubError ThrottlingException. */
  private async updateSlot(deviceId: string): Promise<() => void> {
    let slots = this.updateSlots.get(deviceId);
    if (!slots) {
      slots = { inFlight: 0, waiting: [] };
      this.updateSlots.set(deviceId, slots);
    }
    const mine = slots;
    if (mine.inFlight < TWIN_UPDATES_IN_FLIGHT) mine.inFlight += 1;
    else if (mine.waiting.length < TWIN_UPDATES_WAITING) {
      // A released slot is handed over as it is, so a newcomer cannot take it in between.
      await new Promise<void>((resolve) => mine.waiting.push(resolve));
    } else {
      throw new HubError('ThrottlingException', 'Too many twin updates for this device; retry later.');
    }
    return () => {
      const next = mine.waiting.shift();
      if (next) return next();
      mine.inFlight -= 1;
      if (mine.inFlight === 0) this.updateSlots.delete(deviceId);
    };
  }

  /** PATCH /twins/{id}: merges tags and desired properties. */
  async patchFromService(deviceId: string, update: ServiceTwinUpdate, ifMatch: string): Promise<TwinRecord> {
    const twin = this.latest(deviceId);
    checkEtag(twin.etag, ifMatch);
    const { next, desiredPatch } = this.updated(twin, update, 'merge');
    return this.commit(next, desiredPatch);
  }

  /** PUT /twins/{id}: replaces tags and desired properties. */
  async replaceFromService(
    deviceId: string,
    update: ServiceTwinUpdate,
    ifMatch: string,
  ): Promise<TwinRecord> {
    const twin = this.latest(deviceId);
    checkEtag(twin.etag, ifMatch);
    const { next, desiredPatch } = this.updated(twin, update, 'replace');
    return this.commit(next, desiredPatch);
  }

  /**
   * Throws HubError ArgumentInvalid when {@link replaceFromService} with `update` would be refused (shape or
   * size), trying it on the device's twin or, for a device not created yet, on a new one. Changes nothing.
   */
  checkReplacement(deviceId: string, update: ServiceTwinUpdate): void {
    const { deviceId: device, moduleId } = parseIdentityKey(deviceId);
    this.updated(this.get(deviceId) ?? createTwin(device, this.now(), moduleId), update, 'replace');
  }

  /**
   * The twin after a service update, section by section, and the desired patch to push to the device.
   * Pure: HubError ArgumentInvalid for input the twin rules refuse.
   */
  private updated(
    twin: TwinRecord,
    update: ServiceTwinUpdate,
    how: 'merge' | 'replace',
  ): { next: TwinRecord; desiredPatch: JsonObject | undefined } {
    const apply = how === 'merge' ? applyTwinPatch : replaceTwinSection;
    return asHubError(() => {
      let next = twin;
      let desiredPatch: JsonObject | undefined;
      if (update.tags !== undefined) {
        next = apply(next, 'tags', validateTwinPatch(update.tags, 'tags'), this.now());
      }
      if (update.properties?.desired === null) {
        // IoT Hub: `"desired": null` in a PATCH or PUT removes every desired property.
        next = replaceTwinSection(next, 'desired', {}, this.now());
        desiredPatch = replacementPatch(twin.desired.values, {});
      } else if (update.properties?.desired !== undefined) {
        const desired = validateTwinPatch(update.properties.desired, 'desired');
        next = apply(next, 'desired', desired, this.now());
        // Devices apply patches: a replacement reaches them as the new values plus nulls for removed keys.
        desiredPatch = how === 'merge' ? desired : replacementPatch(twin.desired.values, desired);
      }
      return { next, desiredPatch };
    });
  }

  private async commit(next: TwinRecord, desiredPatch: JsonObject | undefined): Promise<TwinRecord> {
    await this.store.put('twins', identityKey(next.deviceId, next.moduleId), next);
    if (desiredPatch)
      this.onDesiredChange(identityKey(next.deviceId, next.moduleId), desiredPatch, next.desired.version);
    return next;
  }

  /** The durable twin, or HubError DeviceNotFound. */
  require(deviceId: string): TwinRecord {
    return found(deviceId, this.get(deviceId));
  }

  /**
   * The twin with the writes not yet durable: what the next write builds on, so concurrent patches build
   * on each other (the store fails later writes of a twin with an earlier one that failed).
   */
  private latest(deviceId: string): TwinRecord {
    return found(deviceId, this.store.get('twins', deviceId));
  }
}

/** `twin`, or HubError DeviceNotFound (ModuleNotFound for a module key). */
function found(key: string, twin: TwinRecord | undefined): TwinRecord {
  if (twin) return twin;
  const ref = parseIdentityKey(key);
  throw new HubError(
    ref.moduleId === undefined ? 'DeviceNotFound' : 'ModuleNotFound',
    `${describeIdentity(ref)} does not exist.`,
  );
}

/** What a device must apply to turn `before` into `after`: the new values, and null for removed keys. */
function replacementPatch(before: JsonObject, after: JsonObject): JsonObject {
  const patch: JsonObject = { ...after };
  // setOwn: `patch[key] = null` with key `__proto__` would change the prototype, and the removal be lost.
  for (const key of Object.keys(before)) if (!Object.hasOwn(after, key)) setOwn(patch, key, null);
  return patch;
}

function asHubError<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throwAsHubError(err);
  }
}
