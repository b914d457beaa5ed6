import type { Client } from 'aedes';
import type { Logger } from 'pino';
import type { HubStore } from '../persistence/store';
import { DESIRED_FILTER, METHODS_FILTER } from './topics';

/** Persisted part of a device's MQTT session: the filters it subscribed to. */
interface SessionRecord {
  filters: string[];
}

/** In-memory facts about a device connection, shown in twins and device documents. */
export interface Presence {
  connectionState: 'Connected' | 'Disconnected';
  /** ISO time of the last connect, disconnect or publish; the epoch when never seen. */
  lastActivityTime: string;
  connectionStateUpdatedTime: string;
}

const NEVER = new Date(0).toISOString();

/**
 * Which device is connected through which MQTT client, and what it subscribed to. Subscriptions are kept
 * in the store because the device SDK relies on the persistent session: after a reconnect it subscribes to
 * methods again but not to desired properties or twin responses.
 */
export class DeviceSessions {
  private readonly clients = new Map<string, Client>();
  private readonly presence = new Map<string, Presence>();

  constructor(
    private readonly store: HubStore,
    private readonly onMethodsReady: (deviceId: string) => void,
    private readonly logger: Logger,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** A device completed CONNECT. A clean session forgets earlier subscriptions (MQTT 3.1.1 §3.1.2.4). */
  connected(deviceId: string, client: Client): void {
    this.clients.set(deviceId, client);
    this.touch(deviceId, 'Connected');
    if (client.clean && this.store.get('sessions', deviceId)) this.persist(deviceId, []);
    if (this.isSubscribed(deviceId, METHODS_FILTER)) this.onMethodsReady(deviceId);
  }

  /** A client went away; ignored when a newer connection of the same device already took over. */
  disconnected(deviceId: string, client: Client): void {
    if (this.clients.get(deviceId) !== client) return;
    this.clients.delete(deviceId);
    this.touch(deviceId, 'Disconnected');
  }

  subscribed(deviceId: string, filters: readonly string[]): void {
    const current = this.filters(deviceId);
    const added = filters.filter((f) => !current.includes(f));
    if (added.length > 0) this.persist(deviceId, [...current, ...added]);
    if (filters.includes(METHODS_FILTER)) this.onMethodsReady(deviceId);
  }

  unsubscribed(deviceId: string, filters: readonly string[]): void {
    const current = this.filters(deviceId);
    const remaining = current.filter((f) => !filters.includes(f));
    if (remaining.length !== current.length) this.persist(deviceId, remaining);
  }

  /** Records activity (e.g. a publish) for `lastActivityTime`. */
  active(deviceId: string): void {
    const presence = this.presence.get(deviceId);
    if (presence) presence.lastActivityTime = this.now().toISOString();
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
    return (
      this.presence.get(deviceId) ?? {
        connectionState: 'Disconnected',
        lastActivityTime: NEVER,
        connectionStateUpdatedTime: NEVER,
      }
    );
  }

  /** The device was deleted or disabled: close its connection; `forget` also drops its session. */
  async evict(deviceId: string, forget: boolean): Promise<void> {
    const client = this.clients.get(deviceId);
    if (client) {
      await new Promise<void>((resolve) => client.close(() => resolve()));
      this.disconnected(deviceId, client);
    }
    if (forget) {
      this.presence.delete(deviceId);
      if (this.store.get('sessions', deviceId)) await this.store.delete('sessions', deviceId);
    }
  }

  private filters(deviceId: string): string[] {
    return this.store.get<SessionRecord>('sessions', deviceId)?.filters ?? [];
  }

  private persist(deviceId: string, filters: string[]): void {
    this.store.put('sessions', deviceId, { filters } satisfies SessionRecord).catch((err: unknown) => {
      this.logger.error({ err, deviceId }, 'could not persist the MQTT session');
    });
  }

  private touch(deviceId: string, state: Presence['connectionState']): void {
    const at = this.now().toISOString();
    this.presence.set(deviceId, {
      connectionState: state,
      lastActivityTime: at,
      connectionStateUpdatedTime: at,
    });
  }
}
