/** The control channel between the bench and its fleet worker processes (Node IPC, one per worker). */

/** Which pending-reboot store the simulated devices use. */
export type FleetStore = 'memory' | 'file';

export interface WorkerStart {
  type: 'start';
  hostName: string;
  mqttPort: number;
  caPem: string;
  identities: Array<{ deviceId: string; primaryKey: string }>;
  store: FleetStore;
  /** Where the file store keeps its records (one file per device). */
  stateDir: string;
  /** Also answer this method 200 at once with no payload and no work (the throughput scenario). */
  zeroWorkMethod?: string;
}

/** What a connect floor connects to: bare TLS (the floor's echo server) or bare aedes over TLS. */
export type ConnectFloorKind = 'tls' | 'mqtt';

/** Open `count` floor connections and hold them until `floor-close` (see floor-connect.ts). */
export interface WorkerFloorConnect {
  type: 'floor-connect';
  kind: ConnectFloorKind;
  port: number;
  caPem: string;
  count: number;
}

/** Sent by the bench: report (and forget) the answer times so far; or close every device and exit. */
export type WorkerRequest =
  | WorkerStart
  | WorkerFloorConnect
  | { type: 'floor-close' }
  | { type: 'events' }
  | { type: 'stop' };

export type WorkerMessage =
  /** The worker has loaded the SDKs and waits for `start` (so connect time excludes process start). */
  | { type: 'loaded' }
  /** Every device is connected; `connectedAt` holds each one's `Date.now()` at connect. */
  | { type: 'connected'; connectedAt: number[]; finalLimit: number }
  /**
   * `answeredAt`: each answer's `Date.now()`; `reconnected`: `[deviceId, Date.now()]` of every connect after
   * a device's first (the SDK's `connect` event, its own retry or our reopen), both since the last call.
   */
  | { type: 'events'; answeredAt: number[]; reconnected: Array<[string, number]> }
  /** Every floor connection is up (and held); `connectedAt` holds each one's `Date.now()` once it was. */
  | { type: 'floor-connected'; connectedAt: number[] }
  /** The held floor connections are closed. */
  | { type: 'floor-closed' }
  | { type: 'failed'; message: string };
