import type { DeviceJobRecord, JobRecord } from './jobs/model';
import type { SessionRecord } from './mqtt/sessions';
import type { StorageBackend } from './persistence/backend';
import { HubStore, type HubStoreOptions } from './persistence/store';
import type { DeviceRecord } from './registry/devices';
import type { ModuleRecord } from './registry/modules';
import type { TwinRecord } from './twin';
import type { CaCertificateRecord } from './x509/ca-certificates';

/** What each collection of the hub's state holds. */
export interface HubCollections {
  devices: DeviceRecord;
  /** Device twins under `<deviceId>`, module twins under `<deviceId>/<moduleId>`. */
  twins: TwinRecord;
  modules: ModuleRecord;
  sessions: SessionRecord;
  jobs: JobRecord;
  deviceJobs: DeviceJobRecord;
  /** X.509 CA certificates (`/certificates/{name}`). */
  certificates: CaCertificateRecord;
}

/** The hub's state: the store, typed by collection. */
export type HubState = HubStore<HubCollections>;

/** Loads the hub's state from `backend`. */
export function openHubState(backend: StorageBackend, options: HubStoreOptions = {}): Promise<HubState> {
  return HubStore.open<HubCollections>(backend, options);
}
