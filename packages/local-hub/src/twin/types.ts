/** Any value that survives a JSON round trip. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [k: string]: JsonValue };
/** A JSON object (the shape of every twin section and patch). */
export type JsonObject = { [k: string]: JsonValue };

/** Desired or reported properties with their IoT Hub bookkeeping. */
export interface PropertySet {
  /** User properties, without `$version`/`$metadata`. */
  values: JsonObject;
  /** `$version` of the section: starts at 1 and grows by one on every write. */
  version: number;
  /** `$metadata` tree mirroring `values`: `$lastUpdated` (and `$lastUpdatedVersion` for desired) per node. */
  metadata: JsonObject;
}

/** Everything the hub stores for one device twin. */
export interface TwinRecord {
  deviceId: string;
  /** Set on a module twin. */
  moduleId?: string;
  /** The Plug and Play model id the device (or module) last announced in its MQTT username. */
  modelId?: string;
  /** Opaque value for `If-Match`; changes on every write. */
  etag: string;
  /** Twin-wide version: grows by one on every write to any section. */
  version: number;
  tags: JsonObject;
  desired: PropertySet;
  reported: PropertySet;
}

/** The writable parts of a twin. */
export type TwinSection = 'tags' | 'desired' | 'reported';

/** Device-registry facts shown in the service view of a twin; they live outside the twin record. */
export interface DeviceFacts {
  /** The device identity's etag, shown in the twin as `deviceEtag`. */
  etag: string;
  status: 'enabled' | 'disabled';
  statusUpdateTime: string;
  connectionState: 'Connected' | 'Disconnected';
  lastActivityTime: string;
  authenticationType: 'sas' | 'selfSigned' | 'certificateAuthority';
  x509Thumbprint: { primaryThumbprint: string | null; secondaryThumbprint: string | null };
  /** `capabilities.iotEdge`, and the IoT Edge scopes when the device has them. */
  iotEdge: boolean;
  deviceScope?: string;
  parentScopes?: string[];
}
