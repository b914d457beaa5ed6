import fc from 'fast-check';
import type { MqttClient } from 'mqtt';
import { liveBytes, MB } from '../../test-support/memory';
import { connectRaw, deviceToken } from '../../test-support/raw-mqtt';
import { startTestHub, type TestHub } from '../../testing';

const SEED = Number(process.env.FUZZ_SEED ?? 20261128);
const RUNS = 300;
/** Live memory the hub may keep after the whole run. */
const MEMORY_BOUND = 20 * MB;

const text = fc.string({ maxLength: 30 });
const ownTopic = fc.oneof(
  text.map((t) => `devices/mf-a/messages/events/${t}`),
  text.map((t) => `$iothub/twin/GET/?$rid=${t}`),
  text.map((t) => `$iothub/twin/PATCH/properties/reported/?$rid=${t}`),
  fc.tuple(fc.integer({ min: 0, max: 999 }), text).map(([s, t]) => `$iothub/methods/res/${s}/?$rid=${t}`),
);
// Another device's topics, hub-to-device topics a device must never publish, wildcards and junk.
const foreignTopic = fc.oneof(
  text.map((t) => `devices/mf-v/messages/events/${t}`),
  text.map((t) => `devices/mf-v/messages/devicebound/${t}`),
  text.map((t) => `$iothub/methods/POST/reboot/?$rid=${t}`),
  text.map((t) => `$iothub/twin/res/200/?$rid=${t}`),
  fc.constantFrom('$iothub/twin/PATCH/properties/desired/?$version=9', '#', '+/x', '$iothub/#', '$SYS/x'),
  fc.string({ minLength: 1, maxLength: 60 }),
);
const payload = fc.oneof(
  fc.uint8Array({ maxLength: 4000 }).map((bytes) => Buffer.from(bytes)),
  fc.json({ maxDepth: 5 }).map((json) => Buffer.from(json)),
  fc.integer({ min: 1, max: 20_000 }).map((n) => Buffer.from(`${'{"a":'.repeat(n)}1${'}'.repeat(n)}`)),
  fc.constantFrom(Buffer.from('null'), Buffer.alloc(0), Buffer.from(' ')),
);
const publish = fc.record({
  // Mostly allowed topics: each refused one costs a reconnect.
  topic: fc.oneof({ arbitrary: ownTopic, weight: 3 }, { arbitrary: foreignTopic, weight: 1 }),
  payload,
  qos: fc.constantFrom(0, 1, 2) as fc.Arbitrary<0 | 1 | 2>,
  retain: fc.boolean(),
});

describe('MQTT fuzzing against a running hub', () => {
  let t: TestHub;
  let victim: MqttClient;
  const seenByVictim: string[] = [];
  let attacker: MqttClient | undefined;
  const connect = async (deviceId: string) => {
    const device =
      t.hub.listDevices().find((d) => d.deviceId === deviceId) ?? (await t.hub.createDevice(deviceId));
    const client = await connectRaw(t.hub, deviceId, deviceToken(t.hub, deviceId, device.primaryKey));
    await client.subscribeAsync(['$iothub/twin/res/#', '$iothub/methods/POST/#']);
    return client;
  };
  /** The attacker's connection, reopened after the hub dropped it for a forbidden publish. */
  const attackerClient = async () => {
    if (!attacker?.connected) {
      await attacker?.endAsync(true);
      attacker = await connect('mf-a');
    }
    return attacker;
  };
  /** Resolves once the hub has handled everything sent before: its answer to a twin GET, or a drop. */
  const settle = (client: MqttClient, rid: string) =>
    new Promise<'answered' | 'dropped'>((resolve) => {
      const onMessage = (topic: string) => {
        if (topic.endsWith(`$rid=${rid}`)) done('answered');
      };
      const onClose = () => done('dropped');
      const done = (how: 'answered' | 'dropped') => {
        client.off('message', onMessage);
        client.off('close', onClose);
        resolve(how);
      };
      client.on('message', onMessage);
      client.on('close', onClose);
      client.publish(`$iothub/twin/GET/?$rid=${rid}`, ' ', () => undefined);
    });

  beforeAll(async () => {
    t = await startTestHub();
    victim = await connect('mf-v');
    victim.on('message', (topic) => seenByVictim.push(topic));
  });
  afterAll(async () => {
    await attacker?.endAsync(true);
    await victim.endAsync(true);
    await t.close();
  });

  it(`survives generated publishes; the victim sees nothing; memory bounded (seed ${SEED}, ${RUNS} runs)`, async () => {
    const before = liveBytes();
    let n = 0;
    await fc.assert(
      fc.asyncProperty(publish, async (p) => {
        const client = await attackerClient();
        client.publish(p.topic, p.payload, { qos: p.qos, retain: p.retain }, () => undefined);
        n += 1;
        await settle(client, `sync-${n}`);
      }),
      { seed: SEED, numRuns: RUNS },
    );
    // The hub still serves both devices and the service.
    expect(await settle(await attackerClient(), 'final')).toBe('answered');
    expect(seenByVictim).toEqual([]);
    await expect(t.service.registry.getTwin('mf-v')).resolves.toBeDefined();
    expect(liveBytes() - before).toBeLessThan(MEMORY_BOUND);
  }, 60_000);

  it('keeps no retained messages (IoT Hub never stores them): memory stays flat', async () => {
    // Regression: aedes kept every retained publish, one per topic, for ever.
    const client = await attackerClient();
    const before = liveBytes();
    for (let i = 0; i < 300; i += 1) {
      await client.publishAsync(`devices/mf-a/messages/events/r${i}`, Buffer.alloc(100 * 1024, i), {
        qos: 1,
        retain: true,
      });
    }
    expect(liveBytes() - before).toBeLessThan(10 * MB);
  });
});
