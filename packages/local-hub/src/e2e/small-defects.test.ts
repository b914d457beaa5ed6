import { connect as tlsConnect } from 'node:tls';
import { rawDevices } from '../test-support/raw-mqtt';
import { rawRequest } from '../test-support/rest-client';
import { startTestHub, type TestHub } from '../testing';

// Issue #21 item 8: numbers out of range, removing a desired key named `__proto__`, and the 408 for an HTTP
// client that goes silent in the middle of its headers.

const API = 'api-version=2021-04-12';

describe('small defects', () => {
  let t: TestHub;
  const devices = rawDevices(() => t.hub);
  beforeAll(async () => {
    t = await startTestHub({ slowClientTimeoutMs: 500 });
  });
  afterAll(async () => {
    await devices.closeAll();
    await t.close();
  });

  it('answers 400 for a method payload with 1e309, and 502 for a device answer with it (never null)', async () => {
    const device = await devices.connect('finite-1');
    await device.subscribeAsync('$iothub/methods/POST/#');
    device.on('message', (topic) => {
      const rid = /\?\$rid=(.+)$/.exec(topic)?.[1];
      device.publish(`$iothub/methods/res/200/?$rid=${rid}`, '{"v":1e309}');
    });
    await t.hub.whenDeviceSubscribedToMethods('finite-1');
    const invoke = (body: string) => rawRequest(t.hub, 'POST', `/twins/finite-1/methods?${API}`, { body });

    const refused = await invoke('{"methodName":"m","payload":{"v":1e309},"responseTimeoutInSeconds":5}');
    expect(refused.status).toBe(400);
    expect(refused.text).toContain('out of range');
    const answered = await invoke('{"methodName":"m","payload":{"v":1},"responseTimeoutInSeconds":5}');
    expect(answered.status).toBe(502);
    expect(answered.text).toContain('out of range');
  });

  it('tells the device when PUT /twins removes a desired key named __proto__', async () => {
    const device = await devices.connect('proto-1');
    await device.subscribeAsync('$iothub/twin/PATCH/properties/desired/#');
    const patches: string[] = [];
    let arrived: (() => void) | undefined;
    device.on('message', (_topic, payload) => {
      patches.push(payload.toString('utf8'));
      arrived?.();
    });
    const next = () =>
      new Promise<void>((resolve) => {
        arrived = resolve;
      });
    let pushed = next();
    const patched = await rawRequest(t.hub, 'PATCH', `/twins/proto-1?${API}`, {
      body: '{"properties":{"desired":{"__proto__":1,"a":1}}}',
      headers: { 'if-match': '*' },
    });
    expect(patched.status).toBe(200);
    await pushed;
    pushed = next();
    const replaced = await rawRequest(t.hub, 'PUT', `/twins/proto-1?${API}`, {
      body: '{"properties":{"desired":{"a":1}}}',
      headers: { 'if-match': '*' },
    });
    expect(replaced.status).toBe(200);
    await pushed;
    expect(patches[1]).toContain('"__proto__":null');
  });

  it('answers 408 to a client that sends part of its headers and goes silent', async () => {
    const socket = tlsConnect({
      host: '127.0.0.1',
      port: t.hub.httpsPort,
      ca: t.hub.caPem,
      servername: 'localhost',
    });
    const received: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => received.push(chunk));
    const ended = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.once('secureConnect', () => socket.write('GET /health HTTP/1.1\r\nhost: localhost\r\n'));
    await ended;
    expect(Buffer.concat(received).toString('utf8')).toMatch(/^HTTP\/1\.1 408 /);
  });
});
