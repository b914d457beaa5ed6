import { request } from 'node:https';
import { connectAsync } from 'mqtt';
import { connackCode, connectRaw, deviceToken, rawUrl } from '../test-support/raw-mqtt';
import { startTestHub, type TestHub } from '../testing';

/** The status, error header and body of an upgrade request the hub refuses (no 101). */
function upgrade(
  t: TestHub,
  path: string,
  headers: Record<string, string>,
): Promise<{ status: number | undefined; errorCode: unknown; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({
      host: '127.0.0.1',
      port: t.hub.httpsPort,
      path,
      ca: t.hub.caPem,
      headers: { connection: 'Upgrade', upgrade: 'websocket', ...headers },
    });
    req.on('upgrade', (_res, socket) => {
      socket.destroy();
      reject(new Error('upgraded'));
    });
    req.on('response', (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => {
        body += chunk.toString();
      });
      res.on('end', () =>
        resolve({ status: res.statusCode, errorCode: res.headers['iothub-errorcode'], body }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

const WS_HEADERS = { 'sec-websocket-version': '13', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==' };

// IoT Hub serves MQTT over WebSockets on its HTTPS port at /$iothub/websocket, subprotocol "mqtt"
// (azure-iot-device-mqtt mqtt_ws.js builds wss://<host>:443/$iothub/websocket). The isolation and session
// rules are checked on both transports in isolation.test.ts; this suite covers what is WebSocket-specific.
describe('MQTT over WebSockets on the HTTPS port', () => {
  let t: TestHub;
  beforeAll(async () => {
    t = await startTestHub();
  });
  afterAll(async () => {
    await t.close();
  });

  it('authenticates as MQTT over TLS does: wrong key 4, unknown device 5, valid token accepted', async () => {
    const device = await t.hub.createDevice('ws-auth');
    const wrongKey = Buffer.alloc(32, 7).toString('base64');
    await expect(
      connackCode(
        connectRaw(t.hub, 'ws-auth', deviceToken(t.hub, 'ws-auth', wrongKey), { transport: 'wss' }),
      ),
    ).resolves.toBe(4);
    await expect(
      connackCode(
        connectRaw(t.hub, 'ws-ghost', deviceToken(t.hub, 'ws-ghost', wrongKey), { transport: 'wss' }),
      ),
    ).resolves.toBe(5);
    const expired = deviceToken(t.hub, 'ws-auth', device.primaryKey, -60);
    await expect(connackCode(connectRaw(t.hub, 'ws-auth', expired, { transport: 'wss' }))).resolves.toBe(4);
    await expect(
      connackCode(
        connectRaw(t.hub, 'ws-auth', deviceToken(t.hub, 'ws-auth', device.primaryKey), { transport: 'wss' }),
      ),
    ).resolves.toBe(0);
  });

  it('is one broker: a WebSocket connection takes over the same device id from MQTT over TLS', async () => {
    const device = await t.hub.createDevice('ws-both');
    const token = deviceToken(t.hub, 'ws-both', device.primaryKey);
    const overTls = await connectRaw(t.hub, 'ws-both', token);
    const tlsClosed = new Promise<void>((resolve) => overTls.once('close', () => resolve()));
    const overWs = await connectRaw(t.hub, 'ws-both', token, { transport: 'wss' });
    await tlsClosed;
    await overWs.subscribeAsync('$iothub/methods/POST/#');
    await t.hub.whenDeviceSubscribedToMethods('ws-both');
    overWs.on('message', (topic) => {
      const rid = new URLSearchParams(topic.split('?')[1]).get('$rid');
      overWs.publish(`$iothub/methods/res/200/?$rid=${rid}`, '{"via":"wss"}');
    });
    // The REST API keeps working on the port the WebSocket shares.
    await expect(
      t.service.client.invokeDeviceMethod('ws-both', { methodName: 'ping', payload: null }),
    ).resolves.toMatchObject({ result: { status: 200, payload: { via: 'wss' } } });
    await overWs.endAsync();
    await overTls.endAsync(true);
  });

  it('refuses other paths with 404 and a missing "mqtt" subprotocol with 400, in IoT Hub error form', async () => {
    const wrongPath = await upgrade(t, '/mqtt', { ...WS_HEADERS, 'sec-websocket-protocol': 'mqtt' });
    expect(wrongPath).toMatchObject({ status: 404, errorCode: 'NotFound' });
    expect(JSON.parse(wrongPath.body).Message).toMatch(/^ErrorCode:NotFound;.*\/\$iothub\/websocket/);
    const noProtocol = await upgrade(t, '/$iothub/websocket', WS_HEADERS);
    expect(noProtocol).toMatchObject({ status: 400, errorCode: 'ArgumentInvalid' });
    const otherProtocol = await upgrade(t, '/$iothub/websocket', {
      ...WS_HEADERS,
      'sec-websocket-protocol': 'amqp',
    });
    expect(otherProtocol.status).toBe(400);
  });

  it('answers a raw mqtt.js wss:// client on a port other than 443', async () => {
    expect(t.hub.httpsPort).not.toBe(443);
    const device = await t.hub.createDevice('ws-raw');
    const client = await connectAsync(rawUrl(t.hub, 'wss'), {
      ca: t.hub.caPem,
      clientId: 'ws-raw',
      username: `${t.hub.hostName}/ws-raw/?api-version=2021-04-12`,
      password: deviceToken(t.hub, 'ws-raw', device.primaryKey),
      protocolVersion: 4,
      reconnectPeriod: 0,
    });
    await client.subscribeAsync('$iothub/twin/res/#');
    const answer = new Promise<string>((resolve) => client.once('message', (topic) => resolve(topic)));
    await client.publishAsync('$iothub/twin/PATCH/properties/reported/?$rid=r1', '{"transport":"wss"}');
    expect(await answer).toBe('$iothub/twin/res/204/?$rid=r1&$version=2');
    const { responseBody } = await t.service.registry.getTwin('ws-raw');
    expect(responseBody.properties.reported.transport).toBe('wss');
    expect(t.hub.listDevices().find((d) => d.deviceId === 'ws-raw')?.connectionState).toBe('Connected');
    await client.endAsync();
  });
});
