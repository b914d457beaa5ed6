import type { MqttClient } from 'mqtt';
import { type RawTransport, rawDevices } from '../test-support/raw-mqtt';
import { startTestHub, type TestHub } from '../testing';

/** The next message a raw client receives. */
function nextMessage(client: MqttClient): Promise<{ topic: string; payload: string }> {
  return new Promise((resolve) =>
    client.once('message', (topic, payload) => resolve({ topic, payload: payload.toString() })),
  );
}

// MQTT over WebSockets enters the same broker as MQTT over TLS, so every rule here holds on both.
describe.each<RawTransport>(['mqtts', 'wss'])('device isolation and sessions over %s', (transport) => {
  let t: TestHub;
  const devices = rawDevices(() => t.hub, transport);
  const connect = devices.connect;
  beforeAll(async () => {
    t = await startTestHub();
  });
  afterAll(async () => {
    await devices.closeAll();
    await t.close();
  });

  it("refuses subscriptions to other devices' topics and wildcards", async () => {
    const a = await connect('iso-a');
    // mqtt.js rejects a SUBACK that refuses any filter; the codes ride on the error.
    const refusal = await a
      .subscribeAsync([
        '$iothub/twin/res/#',
        '$iothub/methods/POST/#',
        'devices/iso-a/messages/devicebound/#',
        'devices/iso-b/messages/devicebound/#',
        '#',
        '$iothub/#',
        'devices/+/messages/events/#',
      ])
      .catch((err: { packet?: { granted?: number[] } }) => err);
    expect((refusal as { packet?: { granted?: number[] } }).packet?.granted).toEqual([
      0, 0, 0, 128, 128, 128, 128,
    ]);
  });

  it('sends twin responses and method requests only to the device concerned', async () => {
    const a = await connect('iso-c');
    const b = await connect('iso-d');
    await a.subscribeAsync(['$iothub/twin/res/#', '$iothub/methods/POST/#']);
    await b.subscribeAsync(['$iothub/twin/res/#', '$iothub/methods/POST/#']);
    const firstOfB = nextMessage(b);

    const responseToA = nextMessage(a);
    await a.publishAsync('$iothub/twin/GET/?$rid=a1', ' ');
    expect((await responseToA).topic).toBe('$iothub/twin/res/200/?$rid=a1');

    const methodToA = nextMessage(a);
    const call = t.service.client.invokeDeviceMethod('iso-c', {
      methodName: 'ping',
      payload: 1,
      responseTimeoutInSeconds: 5,
    });
    const request = await methodToA;
    expect(request.topic).toMatch(/^\$iothub\/methods\/POST\/ping\/\?\$rid=/);
    const rid = new URLSearchParams(request.topic.split('?')[1]).get('$rid');
    // B answering A's request id does not complete A's call.
    await b.publishAsync(`$iothub/methods/res/500/?$rid=${rid}`, '"forged"');
    await a.publishAsync(`$iothub/methods/res/200/?$rid=${rid}`, '"pong"');
    await expect(call).resolves.toMatchObject({ result: { status: 200, payload: 'pong' } });

    // B's first message is the answer to its own request: nothing meant for A reached it.
    await b.publishAsync('$iothub/twin/GET/?$rid=b1', ' ');
    expect((await firstOfB).topic).toBe('$iothub/twin/res/200/?$rid=b1');
  });

  it("disconnects a device that publishes on another device's topic", async () => {
    const a = await connect('iso-e');
    const closed = new Promise<void>((resolve) => a.once('close', () => resolve()));
    a.publish('devices/iso-f/messages/events/', 'hi');
    await closed;
  });

  it('drops the first connection when a second one uses the same device id', async () => {
    const first = await connect('iso-g');
    const closed = new Promise<void>((resolve) => first.once('close', () => resolve()));
    const second = await connect('iso-g');
    await closed;
    await second.subscribeAsync('$iothub/twin/res/#');
    const response = nextMessage(second);
    await second.publishAsync('$iothub/twin/GET/?$rid=g', ' ');
    expect((await response).topic).toBe('$iothub/twin/res/200/?$rid=g');
    expect(t.hub.listDevices().find((d) => d.deviceId === 'iso-g')?.connectionState).toBe('Connected');
  });

  it('answers malformed twin requests with an errorCode body and keeps serving the device', async () => {
    const a = await connect('iso-i');
    await a.subscribeAsync('$iothub/twin/res/#');
    const refused = nextMessage(a);
    await a.publishAsync('$iothub/twin/PATCH/properties/reported/?$rid=bad', '{not json');
    const answer = await refused;
    expect(answer.topic).toBe('$iothub/twin/res/400/?$rid=bad');
    expect(JSON.parse(answer.payload)).toMatchObject({ errorCode: 400004, message: expect.any(String) });

    const accepted = nextMessage(a);
    await a.publishAsync('$iothub/twin/PATCH/properties/reported/?$rid=good', '{"ok":true}');
    expect((await accepted).topic).toBe('$iothub/twin/res/204/?$rid=good&$version=2');
  });

  it('drops a connection that sends a packet over the size limit, and keeps serving others', async () => {
    const a = await connect('iso-j');
    const closed = new Promise<void>((resolve) => a.once('close', () => resolve()));
    a.publish('devices/iso-j/messages/events/', Buffer.alloc(300 * 1024));
    await closed;
    const b = await connect('iso-k');
    await b.publishAsync('devices/iso-k/messages/events/', Buffer.alloc(200 * 1024), { qos: 1 });
    expect(t.hub.telemetryCount('iso-k')).toBe(1);
  });

  it('counts telemetry', async () => {
    const a = await connect('iso-h');
    await a.publishAsync('devices/iso-h/messages/events/', 'one', { qos: 1 });
    await a.publishAsync('devices/iso-h/messages/events/%24.ct=application%2Fjson', 'two', { qos: 1 });
    expect(t.hub.telemetryCount('iso-h')).toBe(2);
  });

  // Against a raw MQTT attacker: '+' filters and forged hub-to-device traffic.
  it("refuses every '+' and '#' filter and every filter naming another device", async () => {
    const attacker = await connect('iso2-a');
    const filters = [
      '+/+/+/+',
      '+/iso2-v/#',
      'devices/+/messages/devicebound/#',
      'devices/iso2-v/#',
      'devices/iso2-v/messages/devicebound/#',
      '$iothub/+/res/#',
      '$iothub/methods/POST/+',
      '$iothub/methods/#',
      '$iothub/twin/#',
      '$SYS/#',
    ];
    const refusal = await attacker
      .subscribeAsync(filters)
      .catch((err: { packet?: { granted?: number[] } }) => err);
    expect((refusal as { packet?: { granted?: number[] } }).packet?.granted).toEqual(filters.map(() => 128));
  });

  it('drops an attacker forging method requests, twin responses or desired patches; the victim sees nothing', async () => {
    const victim = await connect('iso2-v');
    await victim.subscribeAsync([
      '$iothub/methods/POST/#',
      '$iothub/twin/res/#',
      '$iothub/twin/PATCH/properties/desired/#',
    ]);
    const seen: string[] = [];
    victim.on('message', (topic) => seen.push(topic));
    await t.hub.whenDeviceSubscribedToMethods('iso2-v');
    // A real call is pending for the victim while the attacker forges traffic.
    const requested = new Promise<string>((resolve) =>
      victim.once('message', (topic) => resolve(new URLSearchParams(topic.split('?')[1]).get('$rid') ?? '')),
    );
    const call = t.service.client.invokeDeviceMethod('iso2-v', {
      methodName: 'reboot',
      payload: null,
      responseTimeoutInSeconds: 10,
    });
    const rid = await requested;
    for (const topic of [
      '$iothub/methods/POST/reboot/?$rid=forged',
      '$iothub/twin/res/200/?$rid=forged',
      '$iothub/twin/PATCH/properties/desired/?$version=99',
      'devices/iso2-v/messages/devicebound/x',
      'devices/iso2-v/messages/events/',
    ]) {
      const attacker = await connect('iso2-a');
      const closed = new Promise<void>((resolve) => attacker.once('close', () => resolve()));
      attacker.publish(topic, '{"forged":true}');
      await closed;
    }
    // A method answer for the victim's request id, sent by another device, is ignored.
    const attacker = await connect('iso2-a');
    await attacker.publishAsync(`$iothub/methods/res/200/?$rid=${rid}`, '"forged"', { qos: 1 });
    await victim.publishAsync(`$iothub/methods/res/200/?$rid=${rid}`, '"genuine"', { qos: 1 });
    await expect(call).resolves.toMatchObject({ result: { status: 200, payload: 'genuine' } });
    // The victim saw its own method request and nothing else; its twin is untouched.
    expect(seen).toEqual([expect.stringMatching(/^\$iothub\/methods\/POST\/reboot\/\?\$rid=/)]);
    const { responseBody } = await t.service.registry.getTwin('iso2-v');
    expect(responseBody.properties.desired).toEqual(expect.not.objectContaining({ forged: true }));
    expect(t.hub.telemetryCount('iso2-v')).toBe(0);
  });
});
