/** What the parent asks a hub process to start with. */
export interface HubProcessStart {
  /** State on disk there; in memory when absent. */
  dataDir?: string;
  mqttPort: number;
  httpsPort: number;
}

/** Parent → hub process. */
export type HubProcessRequest = { type: 'rss' } | { type: 'stop' };

/** Hub process → parent. */
export type HubProcessMessage =
  | { type: 'ready'; mqttPort: number; httpsPort: number; caPem: string; serviceConnectionString: string }
  | ({ type: 'rss' } & HubProcessMemory);

/** The hub process's memory after a full garbage collection, in bytes (`process.memoryUsage()`). */
export interface HubProcessMemory {
  rss: number;
  /** JavaScript objects on V8's heap. */
  heapUsed: number;
  /** Memory of C++ objects bound to JavaScript ones (Buffers included). */
  external: number;
  /** Of `external`: ArrayBuffers and Buffers. */
  arrayBuffers: number;
}
