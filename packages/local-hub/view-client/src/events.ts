import { useEffect, useState } from 'preact/hooks';

/** One hub event as the stream sends it (see the hub's events/bus.ts). */
export interface HubEvent {
  type: 'connection' | 'method' | 'twin' | 'device' | 'job' | 'job-device';
  at: string;
  deviceId?: string;
  /** Set when the event is about a module of `deviceId`. */
  moduleId?: string;
  jobId?: string;
  state?: string;
  methodName?: string;
  status?: number | string;
  durationMs?: number;
  error?: string;
  version?: number;
  change?: string;
}

/** The most events the page keeps; older ones are dropped. */
export const EVENT_CAP = 500;

type Listener = (event: HubEvent) => void;
const listeners = new Set<Listener>();
let source: EventSource | undefined;
let connected = false;
const statusListeners = new Set<(up: boolean) => void>();

function ensureStream(): void {
  if (source) return;
  source = new EventSource('/api/events');
  source.onopen = () => setConnected(true);
  source.onerror = () => setConnected(false);
  source.onmessage = (message) => {
    const event = JSON.parse(message.data as string) as HubEvent;
    for (const listener of [...listeners]) listener(event);
  };
}

function setConnected(up: boolean): void {
  connected = up;
  for (const listener of statusListeners) listener(up);
}

/** Calls `listener` for every event while the component is mounted. */
export function useHubEvents(listener: Listener, deps: unknown[] = []): void {
  useEffect(() => {
    ensureStream();
    listeners.add(listener);
    return () => listeners.delete(listener);
  }, deps);
}

/** Whether the event stream is up (shown in the header). */
export function useStreamUp(): boolean {
  const [up, setUp] = useState(connected);
  useEffect(() => {
    ensureStream();
    statusListeners.add(setUp);
    return () => statusListeners.delete(setUp);
  }, []);
  return up;
}

/**
 * Reloads with `load` now and whenever an event `matches`, at most every `ms` (a burst of events is one
 * reload, so a fleet job does not make the page fetch once per device).
 */
export function useLive<T>(
  load: () => Promise<T>,
  matches: (event: HubEvent) => boolean,
  deps: unknown[],
  ms = 250,
): { data: T | undefined; error: unknown; reload: () => void } {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    load().then(
      (value) => {
        if (!live) return;
        setData(value);
        setError(undefined);
      },
      (err: unknown) => live && setError(err),
    );
    return () => {
      live = false;
    };
  }, [...deps, tick]);
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const listener: Listener = (event) => {
      if (!matches(event) || timer !== undefined) return;
      timer = setTimeout(() => {
        timer = undefined;
        setTick((t) => t + 1);
      }, ms);
    };
    ensureStream();
    listeners.add(listener);
    return () => {
      listeners.delete(listener);
      clearTimeout(timer);
    };
  }, deps);
  return { data, error, reload: () => setTick((t) => t + 1) };
}
