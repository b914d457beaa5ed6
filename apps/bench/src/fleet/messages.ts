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
}

/** Sent by the bench: report (and forget) the answer times so far; or close every device and exit. */
export type WorkerRequest = WorkerStart | { type: 'events' } | { type: 'stop' };

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
  | { type: 'failed'; message: string };
