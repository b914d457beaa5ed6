import { startTestHub, type TestHub } from '../testing';
import { rawDevices } from '../test-support/raw-mqtt';

/** What src/e2e/isolation.test.ts does not already cover: '+' filters and forged hub-to-device traffic. */
describe('isolation against a raw MQTT attacker', () => {
  let t: TestHub;
  const devices = rawDevices(() => t.hub);
  const connect = devices.connect;
  beforeAll(async () => {
    t = await startTestHub();
  });
  afterAll(async () => {
    await devices.closeAll();
    await t.close();
  });

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
