import type { ConnectionStates } from '../connections/presence';
import { type JsonObject, type TwinRecord, toServiceTwinDocument } from '../twin';
import type { DeviceRegistry } from './devices';
import { toDeviceFacts } from './documents';
import type { TwinRegistry } from './twins';

/**
 * The service's view of twins: the twin joined with its device's status and connection state, as
 * `GET /twins/{id}`, twin queries and job conditions see it. One place, so they can never disagree.
 */
export class ServiceTwinViews {
  constructor(
    private readonly registry: DeviceRegistry,
    private readonly twins: TwinRegistry,
    private readonly presence: ConnectionStates,
  ) {}

  /** One device's twin document now. HubError DeviceNotFound. */
  of(deviceId: string): JsonObject {
    this.registry.require(deviceId);
    return this.render(this.twins.require(deviceId));
  }

  /** The document of this twin record (e.g. the one a write returned). HubError DeviceNotFound. */
  render(twin: TwinRecord): JsonObject {
    const device = this.registry.require(twin.deviceId);
    return toServiceTwinDocument(twin, toDeviceFacts(device, this.presence.of(twin.deviceId)));
  }

  /**
   * Every device twin document, in registry order (what `FROM devices` queries run over); with `keep`,
   * only those of the device ids it accepts, the others never built.
   */
  all(keep?: (deviceId: string) => boolean): JsonObject[] {
    return this.twins.all().flatMap((twin) => {
      if (twin.moduleId !== undefined) return [];
      if (keep !== undefined && !keep(twin.deviceId)) return [];
      const device = this.registry.get(twin.deviceId);
      return device
        ? [toServiceTwinDocument(twin, toDeviceFacts(device, this.presence.of(device.deviceId)))]
        : [];
    });
  }
}
