import { NEVER_SET_TIME } from '../time-format';

/**
 * Connection state of devices, as twins and device documents show it. Transports report connects,
 * disconnects and activity here; the registry and the REST views only read it, so neither depends on MQTT.
 */

/** What IoT Hub shows of a device's connection. */
export interface Presence {
  connectionState: 'Connected' | 'Disconnected';
  /** ISO time of the last connect, disconnect or publish; IoT Hub's never-set time when never seen. */
  lastActivityTime: string;
  connectionStateUpdatedTime: string;
}

/** A device's presence as kept: the last activity's time is formatted only when someone reads it. */
interface PresenceEntry extends Presence {
  /** The last activity when newer than `lastActivityTime`: every publish is activity, few reads see it. */
  lastActivity: Date | undefined;
}

/** In-memory presence of every device seen since the hub started (IoT Hub does not persist it either). */
export class ConnectionStates {
  private readonly presence = new Map<string, PresenceEntry>();
  private readonly watchers = new Set<(deviceId: string, state: Presence['connectionState']) => void>();

  constructor(private readonly now: () => Date = () => new Date()) {}

  /** The device connected or disconnected now. */
  changed(deviceId: string, state: Presence['connectionState']): void {
    const at = this.now().toISOString();
    this.presence.set(deviceId, {
      connectionState: state,
      lastActivityTime: at,
      connectionStateUpdatedTime: at,
      lastActivity: undefined,
    });
    for (const watcher of this.watchers) watcher(deviceId, state);
  }

  /** Calls `watcher` on every connect and disconnect; returns the unsubscribe function. */
  watch(watcher: (deviceId: string, state: Presence['connectionState']) => void): () => void {
    this.watchers.add(watcher);
    return () => this.watchers.delete(watcher);
  }

  /** Records activity (e.g. a publish) for `lastActivityTime`. */
  active(deviceId: string): void {
    const presence = this.presence.get(deviceId);
    if (presence) presence.lastActivity = this.now();
  }

  of(deviceId: string): Presence {
    const presence = this.presence.get(deviceId);
    if (presence?.lastActivity) {
      presence.lastActivityTime = presence.lastActivity.toISOString();
      presence.lastActivity = undefined;
    }
    return (
      presence ?? {
        connectionState: 'Disconnected',
        lastActivityTime: NEVER_SET_TIME,
        connectionStateUpdatedTime: NEVER_SET_TIME,
      }
    );
  }

  /** The device was deleted: a device created later under the same id starts unseen. */
  forget(deviceId: string): void {
    this.presence.delete(deviceId);
  }
}
