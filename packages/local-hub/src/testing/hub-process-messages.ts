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
  | { type: 'rss'; rss: number };
