import { MemoryBackend } from '../persistence/backend';
import { type DeviceLifecycle, DeviceRegistry } from '../registry/devices';
import { TwinRegistry } from '../registry/twins';
import { openHubState } from '../state';

/** Test fixture: a registry and twins over an in-memory store, with a fixed clock. */
export const NOW = new Date('2026-01-01T00:00:00Z');

export async function setup() {
  const store = await openHubState(new MemoryBackend());
  const desired: [string, unknown, number][] = [];
  const twins = new TwinRegistry(
    store,
    (id, patch, version) => desired.push([id, patch, version]),
    () => NOW,
  );
  const lifecycle: DeviceLifecycle = {
    creating: (device) => twins.create(device.deviceId),
    removed: (id) => twins.remove(id),
    updated: () => undefined,
    created: async () => undefined,
  };
  return { store, twins, desired, registry: new DeviceRegistry(store, lifecycle, () => NOW) };
}
