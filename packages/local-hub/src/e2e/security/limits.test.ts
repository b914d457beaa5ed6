import { Agent, type RequestOptions, request } from 'node:https';
import type { Socket } from 'node:net';
import type { MqttClient } from 'mqtt';
import { expectHubError } from '../../test-support/hub-errors';
import { connectRaw, deviceToken } from '../../test-support/raw-mqtt';
import { rawRequest, serviceToken } from '../../test-support/rest-client';
import { openTcp, openTls, parseRawResponse, untilClosed } from '../../test-support/sockets';
import { startTestHub, type TestHub } from '../../testing';

const API = '?api-version=2021-04-12';

/** The next message on a raw client whose topic starts with `prefix`. */
function nextMessage(client: MqttClient, prefix: string): Promise<{ topic: string; payload: string }> {
  return new Promise((resolve) => {
    const onMessage = (topic: string, payload: Buffer) => {
      if (!topic.startsWith(prefix)) return;
      client.off('message', onMessage);
      resolve({ topic, payload: payload.toString() });
    };
    client.on('message', onMessage);
  });
}

describe('limits: sizes and depth', () => {
  let t: TestHub;
  const open: MqttClient[] = [];
  const connect = async (deviceId: string) => {
    const device = await t.hub.createDevice(deviceId);
    const client = await connectRaw(t.hub, deviceId, deviceToken(t.hub, deviceId, device.primaryKey));
    open.push(client);
    return client;
  };
  beforeAll(async () => {
    t = await startTestHub();
    await t.hub.createDevice('lim-1');
  });
  afterAll(async () => {
    await Promise.all(open.map((c) => c.endAsync(true)));
    await t.close();
  });

  it('refuses a body that announces more than 256 KB with 413 before reading it', async () => {
    const res = await rawRequest(t.hub, 'PUT', `/devices/lim-2${API}`, {
      headers: { 'content-length': String(50 * 1024 * 1024) },
      body: '{}',
    });
    expectHubError(res);
    expect([res.status, res.headers['iothub-errorcode']]).toEqual([413, 'MessageTooLarge']);
  });

  // The body reader takes no content-length to mean "no body" only without transfer-encoding: a
  // chunked body (RFC 9112 6.1) is still read, and its size still bounded while it streams.
  it('reads a chunked body, and refuses one that streams past 256 KB with 413', async () => {
    const res = await rawRequest(t.hub, 'PATCH', `/twins/lim-1${API}`, {
      headers: { 'transfer-encoding': 'chunked' },
      body: JSON.stringify({ tags: { chunked: true } }),
    });
    expect(res.status).toBe(200);
    expect(JSON.parse(res.text)).toMatchObject({ tags: { chunked: true } });
    const big = await rawRequest(t.hub, 'PATCH', `/twins/lim-1${API}`, {
      headers: { 'transfer-encoding': 'chunked' },
      body: JSON.stringify({ tags: { big: 'x'.repeat(300 * 1024) } }),
    }).catch((err: NodeJS.ErrnoException) => err);
    // The hub stops reading and answers 413 on a closing connection; the client may see the reset first.
    // (Node's errors come from another realm under jest: `instanceof Error` does not hold.)
    if ('status' in big)
      expect([big.status, big.headers['iothub-errorcode']]).toEqual([413, 'MessageTooLarge']);
    else expect(big.code).toMatch(/ECONNRESET|EPIPE/);
  });

  it('refuses JSON nested deeper than 128 levels with 400, even when it would parse', async () => {
    const deep = (n: number) => `${'{"a":'.repeat(n)}1${'}'.repeat(n)}`;
    const res = await rawRequest(t.hub, 'PATCH', `/twins/lim-1${API}`, { body: `{"tags":${deep(40_000)}}` });
    expectHubError(res);
    expect(res.text).toMatch(/nests deeper than 128 levels/);
    // Within that bound the twin's own limit (10 levels) still applies.
    const twin = await rawRequest(t.hub, 'PATCH', `/twins/lim-1${API}`, { body: `{"tags":${deep(50)}}` });
    expectHubError(twin);
    expect(twin.text).toMatch(/nesting is limited to 10 levels/);
  });

  it('refuses query text over 8 KB, and a query body over 256 KB', async () => {
    const long = `SELECT * FROM devices WHERE deviceId = '${'x'.repeat(9000)}'`;
    const res = await rawRequest(t.hub, 'POST', `/devices/query${API}`, {
      body: JSON.stringify({ query: long }),
    });
    expectHubError(res);
    expect(res.text).toMatch(/query too long/);
    const huge = await rawRequest(t.hub, 'POST', `/devices/query${API}`, {
      body: JSON.stringify({ query: long.repeat(30) }),
    });
    expect(huge.status).toBe(413);
  });

  it('answers a deeply nested reported patch over MQTT with a 400 errorCode and keeps the device', async () => {
    const device = await connect('lim-dev');
    await device.subscribeAsync('$iothub/twin/res/#');
    const refused = nextMessage(device, '$iothub/twin/res/');
    await device.publishAsync(
      '$iothub/twin/PATCH/properties/reported/?$rid=deep',
      `${'{"a":'.repeat(20_000)}1${'}'.repeat(20_000)}`,
    );
    const answer = await refused;
    expect(answer.topic).toBe('$iothub/twin/res/400/?$rid=deep');
    expect(JSON.parse(answer.payload)).toMatchObject({ errorCode: 400004 });
    const twin = nextMessage(device, '$iothub/twin/res/200/');
    await device.publishAsync('$iothub/twin/GET/?$rid=after', ' ');
    expect((await twin).topic).toBe('$iothub/twin/res/200/?$rid=after');
  });

  it('answers 502 when a device answers a method with JSON too deep to relay (was a 500)', async () => {
    const device = await connect('lim-meth');
    await device.subscribeAsync('$iothub/methods/POST/#');
    await t.hub.whenDeviceSubscribedToMethods('lim-meth');
    const request = nextMessage(device, '$iothub/methods/POST/');
    const call = rawRequest(t.hub, 'POST', `/twins/lim-meth/methods${API}`, {
      body: JSON.stringify({ methodName: 'm', responseTimeoutInSeconds: 5 }),
    });
    const rid = new URLSearchParams((await request).topic.split('?')[1]).get('$rid');
    await device.publishAsync(
      `$iothub/methods/res/200/?$rid=${rid}`,
      `${'['.repeat(20_000)}${']'.repeat(20_000)}`,
    );
    const res = await call;
    expectHubError({ ...res, status: res.status - 100 }); // body and header as for any error
    expect([res.status, res.headers['iothub-errorcode']]).toEqual([502, 'BadDeviceResponse']);
  });
});

describe('limits: many connections from one client', () => {
  const TCP_PER_PORT = 1000;
  const TLS_PER_PORT = 150;
  let t: TestHub;
  beforeAll(async () => {
    t = await startTestHub();
  });
  afterAll(() => t.close());

  it(`serves a legitimate device and service while one client holds ${TCP_PER_PORT} TCP + ${TLS_PER_PORT} TLS connections per port`, async () => {
    const sockets: Socket[] = [];
    try {
      for (const port of [t.hub.mqttPort, t.hub.httpsPort]) {
        sockets.push(...(await Promise.all(Array.from({ length: TCP_PER_PORT }, () => openTcp(port)))));
        sockets.push(
          ...(await Promise.all(Array.from({ length: TLS_PER_PORT }, () => openTls(port, t.hub.caPem)))),
        );
      }
      const device = await t.connectDevice('many-legit');
      device.onDeviceMethod('ping', (_req, res) => void res.send(200, 'pong'));
      await t.hub.whenDeviceSubscribedToMethods('many-legit');
      const twin = await device.getTwin();
      // The SDK's reported update has a callback form only.
      await new Promise<void>((resolve, reject) =>
        twin.properties.reported.update({ ok: true }, (err?: Error) => (err ? reject(err) : resolve())),
      );
      const { result } = await t.service.client.invokeDeviceMethod('many-legit', {
        methodName: 'ping',
        payload: null,
        responseTimeoutInSeconds: 10,
      });
      expect(result).toEqual({ status: 200, payload: 'pong' });
      const { responseBody } = await t.service.registry.getTwin('many-legit');
      expect(responseBody.properties.reported.ok).toBe(true);
    } finally {
      for (const socket of sockets) socket.destroy();
    }
  });
});

describe('limits: slow clients (slowClientTimeoutMs 500)', () => {
  let t: TestHub;
  beforeAll(async () => {
    t = await startTestHub({ slowClientTimeoutMs: 500 });
  });
  afterAll(() => t.close());

  it('closes slow and silent sockets on both ports while serving others, idle keep-alive and long calls included', async () => {
    const { hub } = t;
    // A service connection kept alive from the start: it idles through all of the below.
    const agent = new Agent({ keepAlive: true, maxSockets: 1, ca: hub.caPem });
    const get = (options: RequestOptions = {}) =>
      new Promise<{ status: number; reused: boolean }>((resolve, reject) => {
        const req = request(
          { host: '127.0.0.1', port: hub.httpsPort, path: '/health', agent, ...options },
          (res) => {
            res.resume();
            res.on('end', () => resolve({ status: res.statusCode ?? 0, reused: req.reusedSocket }));
          },
        );
        req.on('error', reject).end();
      });
    try {
      expect(await get()).toEqual({ status: 200, reused: false });

      const tcpMqtt = untilClosed(await openTcp(hub.mqttPort)); // never starts TLS
      const tcpHttps = untilClosed(await openTcp(hub.httpsPort));
      const silentMqtt = untilClosed(await openTls(hub.mqttPort, hub.caPem)); // never sends CONNECT
      const silentHttps = untilClosed(await openTls(hub.httpsPort, hub.caPem)); // never sends a request
      // Slowloris: headers trickle in, one line every 100 ms, never finished.
      const loris = await openTls(hub.httpsPort, hub.caPem);
      const lorisClosed = untilClosed(loris);
      loris.write('GET /health HTTP/1.1\r\nHost: hub\r\n');
      const trickle = setInterval(() => loris.write('X-Slow: 1\r\n'), 100);
      // A body announced but sent a byte at a time.
      const slowBody = await openTls(hub.httpsPort, hub.caPem);
      const slowBodyClosed = untilClosed(slowBody);
      slowBody.write(
        `PUT /devices/x${API} HTTP/1.1\r\nHost: hub\r\nAuthorization: ${serviceToken(hub)}\r\n` +
          'Content-Length: 1000\r\n\r\n{',
      );
      const drip = setInterval(() => slowBody.write(' '), 100);
      // An MQTT CONNECT that never completes: fixed header announcing 100 bytes, then a trickle.
      const slowConnect = await openTls(hub.mqttPort, hub.caPem);
      const slowConnectClosed = untilClosed(slowConnect);
      slowConnect.write(Buffer.from([0x10, 100]));
      const mqttDrip = setInterval(() => slowConnect.write(Buffer.from([0])), 100);

      // Meanwhile a device and the service are served; the device answers only after the slow sockets are
      // gone, so the method call itself outlives the timeout.
      const device = await t.connectDevice('slow-legit');
      const allClosed = Promise.all([
        tcpMqtt,
        tcpHttps,
        silentMqtt,
        silentHttps,
        lorisClosed,
        slowBodyClosed,
        slowConnectClosed,
      ]);
      device.onDeviceMethod('wait', (_req, res) => {
        allClosed.then(() => res.send(200, 'done')).catch(() => undefined); // a failure shows in `call`
      });
      await t.hub.whenDeviceSubscribedToMethods('slow-legit');
      const call = t.service.client.invokeDeviceMethod('slow-legit', {
        methodName: 'wait',
        payload: null,
        responseTimeoutInSeconds: 30,
      });
      const [tcpM, tcpH, silentM, silentH, lorisText, slowBodyText, slowConnectText] = await allClosed;
      clearInterval(trickle);
      clearInterval(drip);
      clearInterval(mqttDrip);

      expect([tcpM, tcpH, silentM, silentH, slowConnectText]).toEqual(['', '', '', '', '']);
      for (const text of [lorisText, slowBodyText]) {
        const res = parseRawResponse(text);
        expect(res.status).toBe(408);
        expect(res.headers.get('iothub-errorcode')).toBe('RequestTimeout');
        expect(JSON.parse(res.body).Message).toMatch(/^ErrorCode:RequestTimeout;/);
      }
      await expect(call).resolves.toMatchObject({ result: { status: 200, payload: 'done' } });
      // The keep-alive connection idled longer than the timeout and is still used.
      expect(await get()).toEqual({ status: 200, reused: true });
    } finally {
      agent.destroy();
    }
  });
});
