import type { ServerResponse } from 'node:http';
import type { HubEventBus } from '../events/bus';
import type { Timers } from '../timers';

/** A page that reads slower than the hub emits is cut off past this much unsent data (it reconnects). */
export const STREAM_BUFFER_LIMIT_BYTES = 1024 * 1024;
/** A comment line this often keeps proxies and the browser from taking a quiet stream for a dead one. */
export const HEARTBEAT_MS = 15_000;

/**
 * Server-Sent Events of the hub's event bus to one page. Writing never waits: a stream whose buffer is
 * over the limit is ended instead, so a stalled tab can never hold hub memory or hold up the hub.
 */
export function streamEvents(res: ServerResponse, bus: HubEventBus, timers: Timers): () => void {
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    connection: 'keep-alive',
  });
  res.write('retry: 2000\n\n');
  let heartbeat: unknown;
  let ended = false;
  const end = () => {
    if (ended) return;
    ended = true;
    unsubscribe();
    timers.clearTimeout(heartbeat);
    res.end();
  };
  const write = (text: string) => {
    if (res.writableLength > STREAM_BUFFER_LIMIT_BYTES) end();
    else res.write(text);
  };
  const beat = () => {
    write(': heartbeat\n\n');
    if (!ended) heartbeat = timers.setTimeout(beat, HEARTBEAT_MS);
  };
  const unsubscribe = bus.subscribe((event) => write(`data: ${JSON.stringify(event)}\n\n`));
  heartbeat = timers.setTimeout(beat, HEARTBEAT_MS);
  res.on('close', end);
  return end;
}
