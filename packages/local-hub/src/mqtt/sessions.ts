import type { Client } from 'aedes';
import type { Logger } from 'pino';
import type { ConnectionStates, Presence } from '../connections/presence';
import type { HubState } from '../state';
import { DESIRED_FILTER, METHODS_FILTER } from './topics';

/** Persisted part of a device's MQTT session: the filters it subscribed to. */
export interface SessionRecord {
  filters: string[];
}

/**
 * Which device is connected through which MQTT client, and what it subscribed to. Subscriptions are kept
 * in the store because the device SDK relies on the persistent session: after a reconnect it subscribes to
 * methods again but not to desired properties or twin responses.
 */
export class DeviceSessions {
  private readonly clients = new Map<string, Client>();
  private readonly readyListeners = new Set<(deviceId: string) => void>();
  private readonly waiters = new Set<{ deviceId: string; filter: string; resolve: () => void }>();

  constructor(
    private readonly store: HubState,
    private readonly presence: ConnectionStates,
    private readonly logger: Logger,
  ) {}

  /** Calls `listener` whenever a device becomes connected and subscribed to methods; returns an unsubscribe. */
  onMethodsReady(listener: (deviceId: string) => void): () => void {
    this.readyListeners.add(listener);
    return () => this.readyListeners.delete(listener);
  }

  /** Resolves once the device is connected and subscribed to `filter` (at once when it is now). */
  whenSubscribed(deviceId: string, filter: string): Promise<void> {
    if (this.isSubscribed(deviceId, filter)) return Promise.resolve();
    return new Promise((resolve) => this.waiters.add({ deviceId, filter, resolve }));
  }

  /** A device completed CONNECT. A clean session forgets earlier subscriptions (MQTT 3.1.1 §3.1.2.4). */
  connected(deviceId: string, client: Client): void {
    this.clients.set(deviceId, client);
    this.presence.changed(deviceId, 'Connected');
    if (client.clean && this.store.get('sessions', deviceId)) this.persist(deviceId, []);
    this.announce(deviceId, this.isSubscribed(deviceId, METHODS_FILTER));
  }

  /** A client went away; ignored when a newer connection of the same device already took over. */
  disconnected(deviceId: string, client: Client): void {
    if (this.clients.get(deviceId) !== client) return;
    this.clients.delete(deviceId);
    this.presence.changed(deviceId, 'Disconnected');
  }

  /**
   * Adds `filters` to the device's stored session and resolves once that is durable; rejects when the store
   * cannot write it. The broker grants a subscription (SUBACK) only after this, so a grant the device saw
   * survives a crash of the hub (issue #21: visible only once durable).
   */
  subscribe(deviceId: string, filters: readonly string[]): Promise<void> {
    const durable = this.store.durable('sessions', deviceId)?.filters ?? [];
    // Built on the value including pending writes, so filters of one SUBSCRIBE (authorized in parallel)
    // and of a SUBSCRIBE still being written all end up in the record.
    const current = this.filters(deviceId);
    // Nothing to write only when the filters are on disk and no pending write (a clean-session connect's
    // clearing) drops them. A filter pending but not yet durable is written again: this write is durable
    // only after the earlier one, whatever the earlier one's fate.
    if (filters.every((f) => durable.includes(f) && current.includes(f))) return Promise.resolve();
    const next = [...current, ...filters.filter((f) => !current.includes(f))];
    return this.store.put('sessions', deviceId, { filters: next } satisfies SessionRecord);
  }

  /** The broker acknowledged a SUBSCRIBE whose `filters` {@link subscribe} stored: wakes who waits for them. */
  subscribed(deviceId: string, filters: readonly string[]): void {
    this.announce(deviceId, filters.includes(METHODS_FILTER));
  }

  unsubscribed(deviceId: string, filters: readonly string[]): void {
    const current = this.filters(deviceId);
    const remaining = current.filter((f) => !filters.includes(f));
    if (remaining.length !== current.length) this.persist(deviceId, remaining);
  }

  /** Records activity (e.g. a publish) for `lastActivityTime`. */
  active(deviceId: string): void {
    this.presence.active(deviceId);
  }

  client(deviceId: string): Client | undefined {
    return this.clients.get(deviceId);
  }

  isConnected(deviceId: string): boolean {
    return this.clients.has(deviceId);
  }

  /** Connected and subscribed to `filter` (directly or through its persisted session). */
  isSubscribed(deviceId: string, filter: string): boolean {
    return this.isConnected(deviceId) && this.filters(deviceId).includes(filter);
  }

  wantsDesiredUpdates(deviceId: string): boolean {
    return this.isSubscribed(deviceId, DESIRED_FILTER);
  }

  presenceOf(deviceId: string): Presence {
    return this.presence.of(deviceId);
  }

  /** The device was deleted or disabled: close its connection; `forget` also drops its session. */
  async evict(deviceId: string, forget: boolean): Promise<void> {
    const client = this.clients.get(deviceId);
    if (client) {
      await new Promise<void>((resolve) => client.close(() => resolve()));
      this.disconnected(deviceId, client);
    }
    if (forget) {
      this.presence.forget(deviceId);
      if (this.store.get('sessions', deviceId)) await this.store.delete('sessions', deviceId);
    }
  }

  private filters(deviceId: string): string[] {
    return this.store.get('sessions', deviceId)?.filters ?? [];
  }

  private persist(deviceId: string, filters: string[]): void {
    this.store.put('sessions', deviceId, { filters } satisfies SessionRecord).catch((err: unknown) => {
      this.logger.error({ err, deviceId }, 'could not persist the MQTT session');
    });
  }

  /** Wakes whoever waits for this device's subscriptions; `methodsReady`: it just became ready for methods. */
  private announce(deviceId: string, methodsReady: boolean): void {
    for (const waiter of [...this.waiters]) {
      if (waiter.deviceId !== deviceId || !this.isSubscribed(deviceId, waiter.filter)) continue;
      this.waiters.delete(waiter);
      waiter.resolve();
    }
    if (!methodsReady) return;
    for (const listener of this.readyListeners) listener(deviceId);
  }
}
