import type { Client } from 'aedes';
import pino from 'pino';
import { ConnectionStates } from '../connections/presence';
import { MemoryBackend } from '../persistence/backend';
import { type HubState, openHubState } from '../state';
import { DeviceSessions } from './sessions';
import { DESIRED_FILTER, METHODS_FILTER } from './topics';

const client = (clean = false) => ({ clean, close: (done: () => void) => done() }) as unknown as Client;

async function setup(store?: HubState) {
  const s = store ?? (await openHubState(new MemoryBackend()));
  const ready: string[] = [];
  const sessions = new DeviceSessions(s, new ConnectionStates(), pino({ level: 'silent' }));
  sessions.onMethodsReady((id) => ready.push(id));
  return { store: s, sessions, ready };
}

/** What the broker does for one SUBSCRIBE: store the filters, then (SUBACK sent) announce them. */
async function subscribe(sessions: DeviceSessions, deviceId: string, filters: string[]) {
  await sessions.subscribe(deviceId, filters);
  sessions.subscribed(deviceId, filters);
}

describe('DeviceSessions', () => {
  it('is ready for methods once connected and subscribed', async () => {
    const { sessions, ready } = await setup();
    const c = client();
    sessions.connected('d', c);
    expect(sessions.isSubscribed('d', METHODS_FILTER)).toBe(false);
    await subscribe(sessions, 'd', [METHODS_FILTER, DESIRED_FILTER]);
    expect(ready).toEqual(['d']);
    expect(sessions.wantsDesiredUpdates('d')).toBe(true);
    sessions.disconnected('d', c);
    expect(sessions.isSubscribed('d', METHODS_FILTER)).toBe(false);
    expect(sessions.presenceOf('d').connectionState).toBe('Disconnected');
  });

  it('keeps subscriptions across a new hub on the same store (persistent session)', async () => {
    const first = await setup();
    first.sessions.connected('d', client());
    await subscribe(first.sessions, 'd', [METHODS_FILTER, DESIRED_FILTER]);
    await first.store.flush();
    const second = await setup(first.store);
    second.sessions.connected('d', client());
    expect(second.ready).toEqual(['d']);
    expect(second.sessions.wantsDesiredUpdates('d')).toBe(true);
  });

  it('forgets subscriptions on a clean-session connect and on unsubscribe', async () => {
    const { sessions } = await setup();
    sessions.connected('d', client());
    await subscribe(sessions, 'd', [METHODS_FILTER, DESIRED_FILTER]);
    sessions.unsubscribed('d', [DESIRED_FILTER]);
    expect(sessions.wantsDesiredUpdates('d')).toBe(false);
    sessions.connected('d', client(true));
    expect(sessions.isSubscribed('d', METHODS_FILTER)).toBe(false);
  });

  it('ignores the late disconnect of a connection that was taken over', async () => {
    const { sessions } = await setup();
    const old = client();
    const taker = client();
    sessions.connected('d', old);
    sessions.connected('d', taker);
    sessions.disconnected('d', old);
    expect(sessions.client('d')).toBe(taker);
    expect(sessions.presenceOf('d').connectionState).toBe('Connected');
  });

  it('evicts a connection and, when asked, forgets the session', async () => {
    const { sessions, store } = await setup();
    sessions.connected('d', client());
    await subscribe(sessions, 'd', [METHODS_FILTER]);
    await sessions.evict('d', true);
    expect(sessions.isConnected('d')).toBe(false);
    expect(store.get('sessions', 'd')).toBeUndefined();
  });

  it('resolves a subscribe only once the session is durable, and rejects when it cannot be written', async () => {
    const { sessions, store } = await setup();
    sessions.connected('d', client());
    const both = Promise.all([
      sessions.subscribe('d', [METHODS_FILTER]),
      sessions.subscribe('d', [DESIRED_FILTER]),
    ]);
    // Filters authorized in parallel (one SUBSCRIBE) all reach the record.
    expect(store.durable('sessions', 'd')).toBeUndefined();
    await both;
    expect(store.durable('sessions', 'd')?.filters).toEqual([METHODS_FILTER, DESIRED_FILTER]);
    // Already durable: nothing to write.
    await sessions.subscribe('d', [METHODS_FILTER]);
    await store.close();
    await expect(sessions.subscribe('d', ['$iothub/twin/res/#'])).rejects.toThrow('closed');
  });

  it('stores a subscription again after a clean-session connect cleared the session', async () => {
    const { sessions, store } = await setup();
    sessions.connected('d', client());
    await subscribe(sessions, 'd', [METHODS_FILTER]);
    // The clearing is still being written when the new connection subscribes to the same filter.
    sessions.connected('d', client(true));
    await subscribe(sessions, 'd', [METHODS_FILTER]);
    await store.flush();
    expect(sessions.isSubscribed('d', METHODS_FILTER)).toBe(true);
  });
});
