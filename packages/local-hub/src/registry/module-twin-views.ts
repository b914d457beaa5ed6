import type { ConnectionStates } from '../connections/presence';
import { type JsonObject, type TwinRecord, toServiceTwinDocument } from '../twin';
import type { DeviceRegistry } from './devices';
import { identityKey } from './identity';
import { toModuleFacts } from './module-documents';
import type { ModuleRegistry } from './modules';
import type { TwinRegistry } from './twins';

/**
 * The service's view of module twins (`GET /twins/{id}/modules/{mid}`, `FROM devices.modules` queries):
 * the twin joined with its module's etag and connection state, with `moduleId` beside `deviceId`.
 */
export class ModuleTwinViews {
  constructor(
    private readonly devices: DeviceRegistry,
    private readonly modules: ModuleRegistry,
    private readonly twins: TwinRegistry,
    private readonly presence: ConnectionStates,
  ) {}

  /** One module's twin now. HubError DeviceNotFound / ModuleNotFound. */
  of(deviceId: string, moduleId: string): JsonObject {
    this.modules.require(deviceId, moduleId);
    return this.render(this.twins.require(identityKey(deviceId, moduleId)));
  }

  /** The document of this module twin record. HubError DeviceNotFound / ModuleNotFound. */
  render(twin: TwinRecord): JsonObject {
    const moduleId = twin.moduleId ?? '';
    const module = this.modules.require(twin.deviceId, moduleId);
    const device = this.devices.require(twin.deviceId);
    const key = identityKey(twin.deviceId, moduleId);
    return toServiceTwinDocument(twin, toModuleFacts(module, device, this.presence.of(key)));
  }

  /** Every module twin document (what `FROM devices.modules` queries run over). */
  all(): JsonObject[] {
    return this.twins.all().flatMap((twin) => {
      if (twin.moduleId === undefined) return [];
      const module = this.modules.get(twin.deviceId, twin.moduleId);
      const device = this.devices.get(twin.deviceId);
      if (!module || !device) return [];
      const presence = this.presence.of(identityKey(twin.deviceId, twin.moduleId));
      return [toServiceTwinDocument(twin, toModuleFacts(module, device, presence))];
    });
  }
}
