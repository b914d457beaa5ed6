import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { rawRequest, serviceToken } from '../test-support/rest-client';
import { startTestHub, type TestHub } from '../testing';

describe('twin queries and REST robustness', () => {
  let t: TestHub;
  beforeAll(async () => {
    t = await startTestHub();
    for (let i = 0; i < 7; i += 1) {
      const id = `q-${i}`;
      await t.hub.createDevice(id);
      const { responseBody } = await t.service.registry.getTwin(id);
      await t.service.registry.updateTwin(
        id,
        { tags: { site: i % 2 === 0 ? 'even' : 'odd', n: i } },
        responseBody.etag,
      );
    }
  });
  afterAll(() => t.close());

  it('pages a query over more than two pages through the SDK', async () => {
    const query = t.service.registry.createQuery("SELECT * FROM devices WHERE tags.site = 'even'", 1);
    const ids: string[] = [];
    let pages = 0;
    do {
      // azure-iothub 1.16.6 re-reads page 1 forever unless the token is passed explicitly.
      const { result } = await query.nextAsTwin(query.continuationToken);
      ids.push(...result.map((twin) => twin.deviceId));
      pages += 1;
    } while (query.hasMoreResults);
    expect(pages).toBe(4);
    expect(ids.sort()).toEqual(['q-0', 'q-2', 'q-4', 'q-6']);
  });

  it('omits x-ms-continuation on the last page and supports projections', async () => {
    const res = await rawRequest(t.hub, 'POST', '/devices/query?api-version=2021-04-12', {
      body: JSON.stringify({ query: 'SELECT deviceId, tags.n AS n FROM devices WHERE tags.n >= 5' }),
      headers: { 'x-ms-max-item-count': '10' },
    });
    expect(res.status).toBe(200);
    expect(res.headers['x-ms-continuation']).toBeUndefined();
    expect(res.json).toEqual([
      { deviceId: 'q-5', n: 5 },
      { deviceId: 'q-6', n: 6 },
    ]);
  });

  it.each([
    ['0', 7],
    ['-3', 7],
    ['abc', 7],
    ['2.9', 2],
    ['100000', 7],
  ])(
    'takes x-ms-max-item-count %j as IoT Hub does, as a page of %i rather than an error',
    async (count, size) => {
      const res = await rawRequest(t.hub, 'POST', '/devices/query?api-version=2021-04-12', {
        body: JSON.stringify({ query: "SELECT deviceId FROM devices WHERE STARTSWITH(deviceId, 'q-')" }),
        headers: { 'x-ms-max-item-count': count },
      });
      expect(res.status).toBe(200);
      expect(res.json).toHaveLength(size);
    },
  );

  it('pages job queries by the same rule', async () => {
    const res = await rawRequest(t.hub, 'GET', '/jobs/v2/query?api-version=2021-04-12', {
      headers: { 'x-ms-max-item-count': 'abc' },
    });
    expect(res.status).toBe(200);
    expect(res.headers['x-ms-item-type']).toBe('jobResponse');
  });

  it('answers a syntax error with 400 naming the position', async () => {
    const query = t.service.registry.createQuery('SELECT * FORM devices');
    await expect(query.next()).rejects.toMatchObject({
      name: 'ArgumentError',
      message: expect.stringMatching(/position/),
    });
  });

  it('uses IoT Hub error bodies and headers for unknown routes, bad JSON, missing auth and oversized bodies', async () => {
    const unknown = await rawRequest(t.hub, 'GET', '/nowhere?api-version=2021-04-12');
    expect(unknown.status).toBe(404);
    expect(unknown.json).toEqual({
      Message: expect.stringMatching(/^ErrorCode:NotFound;/),
      ExceptionMessage: expect.stringMatching(/^Tracking ID:.+-TimeStamp:/),
    });
    expect(unknown.headers['iothub-errorcode']).toBe('NotFound');

    const badJson = await rawRequest(t.hub, 'PUT', '/devices/q-x?api-version=2021-04-12', {
      body: '{"deviceId":',
    });
    expect([badJson.status, badJson.headers['iothub-errorcode']]).toEqual([400, 'ArgumentInvalid']);

    const noAuth = await rawRequest(t.hub, 'GET', '/devices?api-version=2021-04-12', { auth: null });
    expect([noAuth.status, noAuth.headers['iothub-errorcode']]).toEqual([401, 'IotHubUnauthorizedAccess']);
    const expired = await rawRequest(t.hub, 'GET', '/devices?api-version=2021-04-12', {
      auth: serviceToken(t.hub, 'iothubowner', -5),
    });
    expect(expired.status).toBe(401);
    const noVersion = await rawRequest(t.hub, 'GET', '/devices');
    expect(noVersion.status).toBe(400);

    const huge = await rawRequest(t.hub, 'POST', '/twins/q-0/methods?api-version=2021-04-12', {
      body: JSON.stringify({ methodName: 'm', payload: 'z'.repeat(300 * 1024) }),
    });
    expect([huge.status, huge.headers['iothub-errorcode']]).toEqual([413, 'MessageTooLarge']);

    const wrongMethod = await rawRequest(t.hub, 'POST', '/devices/q-0?api-version=2021-04-12', {
      body: '{}',
    });
    expect(wrongMethod.status).toBe(405);
  });

  it('serves GET /health without authentication, with the version and the features', async () => {
    const res = await rawRequest(t.hub, 'GET', '/health', { auth: null });
    const { version } = JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8'));
    expect([res.status, res.json]).toEqual([
      200,
      {
        status: 'ok',
        version,
        transports: { device: ['mqtt-tls', 'mqtt-ws'], service: ['https'] },
        identityKinds: ['sas', 'selfSigned', 'certificateAuthority'],
      },
    ]);
  });

  it('advertises a keep-alive of minutes: the SDK keeps idle sockets with no timeout of its own', async () => {
    const { Agent, get } = await import('node:https');
    const agent = new Agent({ keepAlive: true, ca: t.hub.caPem });
    try {
      const header = await new Promise<string | undefined>((resolve, reject) => {
        get({ host: '127.0.0.1', port: t.hub.httpsPort, path: '/health', agent }, (res) => {
          res.resume();
          res.on('end', () => resolve(String(res.headers['keep-alive'])));
        }).on('error', reject);
      });
      expect(header).toBe('timeout=600');
    } finally {
      agent.destroy();
    }
  });
});
