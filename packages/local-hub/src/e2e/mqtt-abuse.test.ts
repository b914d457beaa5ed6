import { Writable } from 'node:stream';
import { connectAsync, type IClientOptions, type MqttClient } from 'mqtt';
import pino from 'pino';
import { deviceToken } from '../test-support/raw-mqtt';
import { startTestHub, type TestHub } from '../testing';

// Issue #21 items 7 and 8 (MQTT): bounded logging of refused subscriptions, IoT Hub's QoS rules, and wills
// delivered as telemetry only. IoT Hub's rules are quoted from "Communicate with an IoT hub using the MQTT
// protocol" (learn.microsoft.com/azure/iot/iot-mqtt-connect-to-iot-hub).

/** The hub's log lines, as parsed JSON. */
const lines: { msg: string; [field: string]: unknown }[] = [];
let logBytes = 0;
const sink = new Writable({
  write(chunk: Buffer, _encoding, done) {
    logBytes += chunk.length;
    for (const line of chunk.toString('utf8').split('\n')) if (line) lines.push(JSON.parse(line));
    done();
  },
});

describe('abusive MQTT input', () => {
  let t: TestHub;
  const open: MqttClient[] = [];
  beforeAll(async () => {
    t = await startTestHub({ logger: pino({ level: 'info' }, sink) });
  });
  afterAll(async () => {
    await Promise.all(open.map((c) => c.endAsync(true)));
    await t.close();
  });

  async function connect(deviceId: string, options: Partial<IClientOptions> = {}): Promise<MqttClient> {
    const device =
      t.hub.listDevices().find((d) => d.deviceId === deviceId) ?? (await t.hub.createDevice(deviceId));
    const client = await connectAsync(`mqtts://127.0.0.1:${t.hub.mqttPort}`, {
      ca: t.hub.caPem,
      clientId: deviceId,
      username: `${t.hub.hostName}/${deviceId}/?api-version=2021-04-12`,
      password: deviceToken(t.hub, deviceId, device.primaryKey),
      protocolVersion: 4,
      clean: false,
      reconnectPeriod: 0,
      ...options,
    });
    open.push(client);
    return client;
  }

  /** Subscribes and resolves on the SUBACK (mqtt.js reports refused filters as an error). */
  const subscribeRefused = (client: MqttClient, filters: string[]) =>
    new Promise<void>((resolve) => client.subscribe(filters, () => resolve()));

  it('logs one line per SUBSCRIBE of refused filters, and at most 10 a minute per client', async () => {
    const client = await connect('abuse-subscribe');
    const before = lines.length;
    const bytesBefore = logBytes;
    await subscribeRefused(
      client,
      Array.from({ length: 5000 }, (_, i) => `refused/${i}`),
    );
    const first = lines.slice(before);
    expect(first).toHaveLength(1);
    expect(first[0]).toMatchObject({
      msg: 'subscriptions refused',
      refused: 5000,
      deviceId: 'abuse-subscribe',
    });

    for (let i = 0; i < 30; i += 1) await subscribeRefused(client, [`again/${i}/a`, `again/${i}/b`]);
    const refusedLines = lines.slice(before).filter((l) => l.msg === 'subscriptions refused');
    expect(refusedLines).toHaveLength(10);
    expect(logBytes - bytesBefore).toBeLessThan(10 * 1024);
  });

  it('grants at most QoS 1 in SUBACK when QoS 2 is asked', async () => {
    const client = await connect('abuse-qos-sub');
    const granted = await client.subscribeAsync('devices/abuse-qos-sub/messages/devicebound/#', { qos: 2 });
    expect(granted.map((g) => g.qos)).toEqual([1]);
  });

  it('closes the connection of a QoS 2 publish without delivering it', async () => {
    const client = await connect('abuse-qos-pub');
    const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
    client.publish('devices/abuse-qos-pub/messages/events/', 'x', { qos: 2 });
    await closed;
    expect(t.hub.telemetryCount('abuse-qos-pub')).toBe(0);
  });

  it('delivers a will only as telemetry: one on the reported-properties topic never reaches the twin', async () => {
    await connect('abuse-will', {
      will: {
        topic: '$iothub/twin/PATCH/properties/reported/?$rid=w',
        payload: Buffer.from('{"will":1}'),
        qos: 0,
        retain: false,
      },
    });
    // A new connection of the same device ends the first uncleanly: its will goes out now.
    const next = await connect('abuse-will');
    await next.subscribeAsync('$iothub/twin/res/#');
    // A patch of its own, after the will: once it is answered, any write the will made is durable too.
    const answered = new Promise<string>((resolve) => next.once('message', (topic) => resolve(topic)));
    next.publish('$iothub/twin/PATCH/properties/reported/?$rid=1', '{"own":1}');
    expect(await answered).toMatch(/^\$iothub\/twin\/res\/204\//);
    const twin = await t.service.registry.getTwin('abuse-will');
    expect(twin.responseBody.properties.reported).toMatchObject({ own: 1 });
    expect(twin.responseBody.properties.reported).not.toHaveProperty('will');

    await connect('abuse-will-telemetry', {
      will: {
        topic: 'devices/abuse-will-telemetry/messages/events/',
        payload: Buffer.from('gone'),
        qos: 0,
        retain: false,
      },
    });
    await connect('abuse-will-telemetry');
    expect(t.hub.telemetryCount('abuse-will-telemetry')).toBe(1);
  });
});
