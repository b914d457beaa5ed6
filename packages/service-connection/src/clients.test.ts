import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServiceClients, type ServiceClients } from './clients';
import { expectedSignature, startTestServer, type TestServer } from './test-support/tls-server';

const KEY = Buffer.alloc(32, 7).toString('base64');

describe('createServiceClients against an HTTPS server on a custom port and CA', () => {
  let server: TestServer;
  let clients: ServiceClients | undefined;
  const cs = () =>
    `HostName=myhub.example;SharedAccessKeyName=iothubowner;SharedAccessKey=${KEY};GatewayHostName=127.0.0.1:${server.port}`;

  beforeAll(async () => {
    server = await startTestServer();
  });
  afterEach(async () => {
    await clients?.close();
    clients = undefined;
    server.requests.length = 0;
  });
  afterAll(() => server.close());

  it('sends Registry requests to the gateway port over verified TLS with a valid SAS', async () => {
    clients = createServiceClients(cs(), { ca: server.caPem });
    server.reply(200, { deviceId: 'dev1', status: 'enabled' });
    const { responseBody } = await clients.registry.get('dev1');
    expect(responseBody.deviceId).toBe('dev1');

    const [request] = server.requests;
    expect(request?.method).toBe('GET');
    expect(request?.url).toMatch(/^\/devices\/dev1\?api-version=/);
    const auth = String(request?.headers.authorization);
    const match = /^SharedAccessSignature sr=([^&]+)&sig=([^&]+)&skn=([^&]+)&se=(\d+)$/.exec(auth);
    expect(match).not.toBeNull();
    const [, sr, sig, skn, se] = match as unknown as string[];
    expect(sr).toBe('myhub.example');
    expect(skn).toBe('iothubowner');
    expect(decodeURIComponent(sig as string)).toBe(expectedSignature(KEY, 'myhub.example', se as string));
    expect(Number(se)).toBeGreaterThan(Date.now() / 1000);
  });

  it('routes Client.invokeDeviceMethod and JobClient through the same endpoint', async () => {
    clients = createServiceClients(cs(), { ca: server.caPem });
    server.reply(200, { status: 200, payload: { ok: true } });
    const { result } = await clients.client.invokeDeviceMethod('dev1', {
      methodName: 'reboot',
      payload: null,
      responseTimeoutInSeconds: 5,
    });
    expect(result).toEqual({ status: 200, payload: { ok: true } });
    expect(server.requests[0]?.url).toMatch(/^\/twins\/dev1\/methods\?api-version=/);
    expect(JSON.parse(server.requests[0]?.body ?? '')).toMatchObject({ methodName: 'reboot' });

    server.reply(200, { jobId: 'j1', status: 'completed' });
    await clients.jobClient.getJob('j1');
    expect(server.requests[1]?.url).toMatch(/^\/jobs\/v2\/j1\?api-version=/);
  });

  it('keeps the CA across the keep-alive agent the SDK installs, with a CA file path', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'svc-conn-'));
    try {
      const caFile = join(dir, 'ca.pem');
      writeFileSync(caFile, server.caPem);
      clients = createServiceClients(cs(), { ca: caFile });
      server.reply(200, { deviceId: 'a' });
      await clients.registry.get('a');
      await clients.registry.get('a');
      expect(server.requests).toHaveLength(2);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a server whose certificate is not trusted', async () => {
    clients = createServiceClients(cs());
    await expect(clients.registry.get('dev1')).rejects.toThrow(/certificate/i);
    expect(server.requests).toHaveLength(0);
  });

  it('turns IoT Hub error bodies into the SDK error classes', async () => {
    clients = createServiceClients(cs(), { ca: server.caPem });
    server.reply(
      404,
      { Message: 'ErrorCode:DeviceNotFound;no such device', ExceptionMessage: 'Tracking ID:x-TimeStamp:y' },
      { 'iothub-errorcode': 'DeviceNotFound' },
    );
    await expect(clients.registry.get('ghost')).rejects.toMatchObject({
      name: 'DeviceNotFoundError',
      message: 'no such device',
    });
  });
});
