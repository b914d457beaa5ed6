/** What the hub's process tells the bench. */
export type HubChildMessage =
  | { type: 'ready'; mqttPort: number; httpsPort: number; caFile: string; serviceConnectionString: string }
  | { type: 'rss'; rss: number };

/** What the bench asks the hub's process. */
export type HubParentMessage = { type: 'rss' } | { type: 'close' };
