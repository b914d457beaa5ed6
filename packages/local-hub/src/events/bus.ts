/**
 * What happens in the hub, as it happens: for watchers such as the web view. Emitting never waits and a
 * failing listener never reaches the code that emitted, so the hub's own work is never held up by a watcher.
 */

/**
 * One thing that happened in the hub. `at` is the ISO time it happened. An event about a module carries
 * its `moduleId` beside its device's `deviceId`.
 */
export type HubEvent =
  | {
      type: 'connection';
      at: string;
      deviceId: string;
      moduleId?: string;
      state: 'Connected' | 'Disconnected';
    }
  | {
      type: 'method';
      at: string;
      deviceId: string;
      moduleId?: string;
      methodName: string;
      /** The device's status, or the hub's HTTP status when the call failed (404 offline, 504 timeout). */
      status: number;
      durationMs: number;
      /** The hub's error name when the call failed, e.g. `GatewayTimeout`. */
      error?: string;
    }
  | { type: 'twin'; at: string; deviceId: string; moduleId?: string; version: number }
  | { type: 'device'; at: string; deviceId: string; moduleId?: string; change: 'changed' | 'removed' }
  | { type: 'job'; at: string; jobId: string; status: string }
  | { type: 'job-device'; at: string; jobId: string; deviceId: string; status: string };

export type HubEventListener = (event: HubEvent) => void;

/** Distributes HubEvents to whoever subscribed; events with no subscriber cost one check. */
export class HubEventBus {
  private readonly listeners = new Set<HubEventListener>();

  constructor(
    private readonly now: () => Date = () => new Date(),
    private readonly onListenerError: (err: unknown) => void = () => undefined,
  ) {}

  /** Calls `listener` for every later event; returns the unsubscribe function. */
  subscribe(listener: HubEventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get hasListeners(): boolean {
    return this.listeners.size > 0;
  }

  /** Emits an event stamped with the current time. */
  emit(event: DistributiveOmit<HubEvent, 'at'>): void {
    if (this.listeners.size === 0) return;
    const stamped = { ...event, at: this.now().toISOString() } as HubEvent;
    for (const listener of [...this.listeners]) {
      try {
        listener(stamped);
      } catch (err) {
        this.onListenerError(err);
      }
    }
  }
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
