import { connectAsync, type MqttClient } from 'mqtt';
import type { LocalHub } from '../hub';
import { TWIN_REQUESTS_IN_FLIGHT } from '../mqtt/twin-request-gate';
import { MemoryBackend, type StorageBackend } from '../persistence/backend';
import { deviceToken } from '../test-support/raw-mqtt';
import { rawRequest } from '../test-support/rest-client';
import { startTestHub, type TestHub } from '../testing';

// Issue #21 item 6, the edges of the backpressure on a flooding connection (mqtt/twin-request-gate): while
// a device's twin requests are held, aedes reads nothing more from it, PINGREQ included. The hold is bounded
// by half the client's keep-alive (aedes closes a connection silent for 1.5 × keep-alive, [MQTT-3.1.2-24]),
// after which the held requests are answered 429, as IoT Hub "queues, then answers 429"; a disconnect drops
// what is held. A stalled store keeps requests in flight for as long as the test wants.

const HELD = 24;
const SENT = TWIN_REQUESTS_IN_FLIGHT + HELD;

/** A memory backend whose appends can be stopped: what the hub writes stays in flight meanwhile. */
function stallable() {
  const inner = new MemoryBackend();
  let stalled: Promise<void> | undefined;
  let resume = () => {};
  const backend: StorageBackend = {
    load: () => inner.load(),
    append: async (lines) => {
      await stalled;
      await inner.append(lines);
    },
    compact: (snapshot) => inner.compact(snapshot),
    close: () => inner.close(),
  };
  return {
    backend,
    stall: () => {
      stalled = new Promise((resolve) => {
        resume = resolve;
      });
    },
    resume: () => {
      stalled = undefined;
      resume();
    },
  };
}

/** A raw device connection subscribed to its twin answers, which it collects by request id. */
async function rawDevice(hub: LocalHub, deviceId: string, key: string, keepalive: number) {
  const client: MqttClient = await connectAsync(`mqtts://127.0.0.1:${hub.mqttPort}`, {
    ca: hub.caPem,
    clientId: deviceId,
    username: `${hub.hostName}/${deviceId}/?api-version=2021-04-12`,
    password: deviceToken(hub, deviceId, key),
    protocolVersion: 4,
    clean: false,
    reconnectPeriod: 0,
    keepalive,
  });
  await client.subscribeAsync(['$iothub/twin/res/#', '$iothub/methods/POST/#']);
  const answers = new Map<number, string[]>();
  let waiter: { count: number; resolve: () => void } | undefined;
  let total = 0;
  client.on('message', (topic) => {
    // Method calls are answered at once: the answer queues behind the patches sent before it.
    const call = /^\$iothub\/methods\/POST\/[^/]+\/\?\$rid=(.+)$/.exec(topic);
    if (call) return client.publish(`$iothub/methods/res/200/?$rid=${call[1]}`, '{"answered":true}');
    const [, status, rid] = /^\$iothub\/twin\/res\/(\d+)\/\?\$rid=(\d+)/.exec(topic) ?? [];
    answers.set(Number(rid), [...(answers.get(Number(rid)) ?? []), status ?? '?']);
    total += 1;
    if (waiter && total >= waiter.count) waiter.resolve();
  });
  return {
    client,
    answers,
    /** Resolves once `count` answers arrived in all. */
    answered: (count: number) =>
      total >= count ? Promise.resolve() : new Promise<void>((resolve) => (waiter = { count, resolve })),
    patch: (rid: number) =>
      client.publish(`$iothub/twin/PATCH/properties/reported/?$rid=${rid}`, JSON.stringify({ rid })),
  };
}

describe('backpressure: held twin requests', () => {
  const store = stallable();
  let t: TestHub;
  beforeAll(async () => {
    t = await startTestHub({ storage: store.backend });
  });
  afterAll(async () => {
    store.resume();
    await t.close();
  });
  const reportedVersion = async (deviceId: string) => {
    const response = await rawRequest(t.hub, 'GET', `/twins/${deviceId}?api-version=2021-04-12`);
    return (response.json as { properties: { reported: { $version: number } } }).properties.reported.$version;
  };

  it('answers 429 to requests held past half the keep-alive: the flooder stays connected, pinged, answering methods', async () => {
    const { primaryKey } = await t.hub.createDevice('slow');
    // Keep-alive 2 s: the hub may hold for 1 s, and closes a connection it has read nothing from for 3 s.
    const device = await rawDevice(t.hub, 'slow', primaryKey, 2);
    let onClose = () => {};
    const dropped = new Promise<never>((_, reject) => {
      onClose = () => reject(new Error('the hub closed the flooding connection'));
      device.client.once('close', onClose);
    });
    const pinged = new Promise<void>((resolve) =>
      device.client.on('packetreceive', (packet) => packet.cmd === 'pingresp' && resolve()),
    );
    store.stall();
    for (let rid = 1; rid <= SENT; rid += 1) device.patch(rid);
    await t.hub.whenTwinRequestsHeld('slow', HELD);
    // A method call meanwhile: the device's answer is not dead-locked behind its held patches.
    const call = rawRequest(t.hub, 'POST', '/twins/slow/methods?api-version=2021-04-12', {
      body: JSON.stringify({ methodName: 'reboot', payload: null, responseTimeoutInSeconds: 30 }),
      headers: { 'content-type': 'application/json' },
    });
    // The held ones are refused at the bound; the hub then reads on, and answers the client's PINGREQ. Held
    // without a bound, nothing more is read and the hub closes the connection at 1.5 x keep-alive.
    const [, , response] = await Promise.race([Promise.all([device.answered(HELD), pinged, call]), dropped]);
    device.client.off('close', onClose);
    expect(response).toMatchObject({ status: 200, json: { status: 200, payload: { answered: true } } });
    store.resume();
    await device.answered(SENT);
    // Every request answered exactly once: the first 16 once durable, the held ones 429.
    const expected = new Map(
      Array.from({ length: SENT }, (_, i) => [i + 1, [i < TWIN_REQUESTS_IN_FLIGHT ? '204' : '429']]),
    );
    expect(device.answers).toEqual(expected);
    expect(t.hub.heldTwinRequests('slow')).toBe(0);
    await device.client.endAsync();
  });

  it('drops the held requests of a connection that goes, and serves its next connection at once', async () => {
    const { primaryKey } = await t.hub.createDevice('gone');
    const before = await reportedVersion('gone');
    const first = await rawDevice(t.hub, 'gone', primaryKey, 60);
    store.stall();
    for (let rid = 1; rid <= SENT; rid += 1) first.patch(rid);
    await t.hub.whenTwinRequestsHeld('gone', HELD);
    first.client.stream.destroy();
    // The hub closes the old connection before it accepts the new one ([MQTT-3.1.4-2]) at the latest.
    const next = await connectAsync(`mqtts://127.0.0.1:${t.hub.mqttPort}`, {
      ca: t.hub.caPem,
      clientId: 'gone',
      username: `${t.hub.hostName}/gone/?api-version=2021-04-12`,
      password: deviceToken(t.hub, 'gone', primaryKey),
      protocolVersion: 4,
      clean: false,
      reconnectPeriod: 0,
    });
    expect(t.hub.heldTwinRequests('gone')).toBe(0);
    await next.endAsync();
    store.resume();
    const second = await rawDevice(t.hub, 'gone', primaryKey, 60);
    second.patch(1000);
    await second.answered(1);
    expect(second.answers.get(1000)?.[0]).toBe('204');
    // The 16 in flight were applied (accepted before the disconnect), the held ones never: +16 +1.
    expect((await reportedVersion('gone')) - before).toBe(TWIN_REQUESTS_IN_FLIGHT + 1);
    await second.client.endAsync();
  });
});
