import { request } from 'node:http';
import { connect } from 'node:net';
import { Writable } from 'node:stream';
import pino from 'pino';
import { type ViewAnswer, viewRequest, viewSession } from '../test-support/view-client';
import { certs } from '../test-support/x509';
import { startTestHub, type TestHub } from '../testing';

// The web view's HTTP surface without a browser: its security gates, and that its actions answer exactly
// as the REST API does (the browser suites in apps/view-e2e drive the page itself).
describe('web view API', () => {
  let t: TestHub;
  let logs = '';
  let base: string;
  let cookie: string;
  let csrf: string;
  const viewUrl = () => t.hub.viewUrl as string;
  const authed = (path: string, options: Parameters<typeof viewRequest>[2] = {}) =>
    viewRequest(base, path, { ...options, headers: { cookie, ...options.headers } });
  const write = (path: string, method: string, body?: unknown, headers: Record<string, string> = {}) =>
    authed(path, { method, body, headers: { 'x-csrf-token': csrf, ...headers } });
  const errorCode = (answer: ViewAnswer) =>
    /^ErrorCode:([^;]*)/.exec((answer.json as { Message: string }).Message)?.[1];

  beforeAll(async () => {
    const sink = new Writable({
      write(chunk, _enc, done) {
        logs += String(chunk);
        done();
      },
    });
    t = await startTestHub({ view: { port: 0 }, logger: pino({ level: 'trace' }, sink) });
    ({ base, cookie, csrf } = await viewSession(viewUrl()));
  });
  afterAll(() => t.close());

  it('is off unless asked for', async () => {
    const plain = await startTestHub();
    try {
      expect(plain.hub.viewUrl).toBeUndefined();
    } finally {
      await plain.close();
    }
  });

  it('closes a connection that never sends a request after slowClientTimeoutMs', async () => {
    const slow = await startTestHub({ view: { port: 0 }, slowClientTimeoutMs: 300 });
    try {
      const socket = connect(Number(new URL(slow.hub.viewUrl as string).port), '127.0.0.1');
      await new Promise<void>((resolve) => socket.once('close', () => resolve()));
      expect(socket.destroyed).toBe(true);
    } finally {
      await slow.close();
    }
  });

  it('serves nothing without the token: page, bundle, API and event stream all 401', async () => {
    for (const path of [
      '/',
      '/assets/app.js',
      '/assets/app.css',
      '/assets/licenses.txt',
      '/api/devices',
      '/api/session',
      '/api/events',
    ]) {
      const answer = await viewRequest(base, path);
      expect([path, answer.status]).toEqual([path, 401]);
      expect(answer.headers['iothub-errorcode']).toBe('IotHubUnauthorizedAccess');
    }
    const forged = await viewRequest(base, '/api/devices', { headers: { cookie: 'local_hub_view=forged' } });
    expect(forged.status).toBe(401);
  });

  it('refuses a wrong token in the URL and sets no cookie', async () => {
    const answer = await viewRequest(base, '/?token=not-the-token');
    expect(answer.status).toBe(401);
    expect(answer.headers['set-cookie']).toBeUndefined();
  });

  it('turns the printed token into an HttpOnly SameSite=Strict cookie and drops it from the URL', async () => {
    const url = new URL(viewUrl());
    expect(url.hostname).toBe('127.0.0.1');
    const answer = await viewRequest(base, `/${url.search}`);
    expect(answer.status).toBe(303);
    expect(answer.headers.location).toBe('/');
    const setCookie = answer.headers['set-cookie']?.[0] ?? '';
    expect(setCookie).toMatch(/HttpOnly/);
    expect(setCookie).toMatch(/SameSite=Strict/);
    expect(answer.headers['referrer-policy']).toBe('no-referrer');
  });

  it('serves the page under a strict CSP with no inline script', async () => {
    const page = await authed('/');
    expect(page.status).toBe(200);
    const csp = String(page.headers['content-security-policy']);
    expect(csp).toMatch(/default-src 'none'/);
    expect(csp).toMatch(/script-src 'self'(;|$)/);
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|https?:/);
    expect(csp).toMatch(/frame-ancestors 'none'/);
    expect(page.text).not.toMatch(/<script>(?!<\/script>)|<script(?![^>]*src=)[^>]*>/);
    const bundle = await authed('/assets/app.js');
    expect(bundle.status).toBe(200);
    expect(bundle.headers['content-type']).toMatch(/javascript/);
  });

  it("ships Preact's MIT licence notice beside the bundle, which points at it", async () => {
    const notices = await authed('/assets/licenses.txt');
    expect(notices.status).toBe(200);
    expect(notices.headers['content-type']).toMatch(/^text\/plain/);
    // The notice the MIT licence asks to ship with every copy: name, copyright line and permission text.
    expect(notices.text).toMatch(/^preact \d+\.\d+\.\d+ \(MIT\)$/m);
    expect(notices.text).toContain('Copyright (c) 2015-present Jason Miller');
    expect(notices.text).toContain('The above copyright notice and this permission notice shall be included');
    const bundle = await authed('/assets/app.js');
    expect(bundle.text.startsWith('/*! Licences of the bundled packages: /assets/licenses.txt */')).toBe(
      true,
    );
  });

  it('refuses a foreign Host header (DNS rebinding), even with the cookie', async () => {
    const answer = await authed('/api/devices', {
      headers: { host: `rebound.example:${new URL(base).port}` },
    });
    expect(answer.status).toBe(403);
    expect(errorCode(answer)).toBe('Forbidden');
    const wrongPort = await authed('/', { headers: { host: '127.0.0.1:1' } });
    expect(wrongPort.status).toBe(403);
  });

  it('refuses state-changing requests without the CSRF token, with a wrong one, or from another origin', async () => {
    const none = await authed('/api/devices', { method: 'POST', body: { deviceId: 'csrf-1' } });
    expect([none.status, errorCode(none)]).toEqual([403, 'Forbidden']);
    const wrong = await write(
      '/api/devices',
      'POST',
      { deviceId: 'csrf-1' },
      { 'x-csrf-token': 'x'.repeat(43) },
    );
    expect(wrong.status).toBe(403);
    const crossOrigin = await write(
      '/api/devices',
      'POST',
      { deviceId: 'csrf-1' },
      { origin: 'http://evil.example' },
    );
    expect(crossOrigin.status).toBe(403);
    const noCookie = await viewRequest(base, '/api/devices', {
      method: 'POST',
      body: { deviceId: 'csrf-1' },
      headers: { 'x-csrf-token': csrf },
    });
    expect(noCookie.status).toBe(401);
    expect(t.hub.listDevices().map((d) => d.deviceId)).not.toContain('csrf-1');
    const ok = await write('/api/devices', 'POST', { deviceId: 'csrf-1' }, { origin: base });
    expect(ok.status).toBe(200);
  });

  it('never sends a key, except the connection string the user asks for', async () => {
    const device = await t.hub.createDevice('keys-1');
    const list = await authed('/api/devices');
    const twin = await authed('/api/twins/keys-1');
    for (const answer of [list, twin]) {
      expect(answer.text).not.toContain(device.primaryKey);
      expect(answer.text).not.toContain(device.secondaryKey);
    }
    const revealed = await write('/api/devices/keys-1/connection-string', 'POST', {});
    expect(revealed.json).toEqual({ connectionString: device.connectionString });
    // A GET cannot reveal it (it is an action, so it needs the CSRF token).
    expect((await authed('/api/devices/keys-1/connection-string')).status).toBe(405);
  });

  it('answers with the REST API validation and errors (IoT Hub shape)', async () => {
    const badId = await write('/api/devices', 'POST', { deviceId: 'bad id with spaces' });
    expect([badId.status, errorCode(badId)]).toEqual([400, 'ArgumentInvalid']);
    await t.hub.createDevice('dup-1');
    const dup = await write('/api/devices', 'POST', { deviceId: 'dup-1' });
    expect([dup.status, errorCode(dup)]).toEqual([409, 'DeviceAlreadyExists']);
    const missing = await authed('/api/twins/nobody');
    expect([missing.status, errorCode(missing)]).toEqual([404, 'DeviceNotFound']);
    const offline = await write('/api/twins/dup-1/methods', 'POST', {
      methodName: 'x',
      responseTimeoutInSeconds: 5,
    });
    expect([offline.status, errorCode(offline)]).toEqual([404, 'DeviceNotOnline']);
    const outOfRange = await write('/api/twins/dup-1/methods', 'POST', {
      methodName: 'x',
      responseTimeoutInSeconds: 1,
    });
    expect(outOfRange.status).toBe(400);
    const badJob = await write('/api/jobs', 'POST', { queryCondition: "tags.site = 'x" });
    expect(badJob.status).toBe(400);
    const notJson = await authed('/api/devices', {
      method: 'POST',
      headers: { 'x-csrf-token': csrf, 'content-type': 'application/json' },
      rawBody: '{"deviceId": ',
    });
    expect([notJson.status, errorCode(notJson)]).toEqual([400, 'ArgumentInvalid']);
    const noId = await write('/api/devices', 'POST', {});
    expect(noId.status).toBe(400);
  });

  it('shows each device with its real auth type and its modules with their live connection state', async () => {
    await t.hub.createDevice('auth-sas');
    const thumbprint = 'ab'.repeat(20);
    const selfSigned = await write('/api/devices', 'POST', {
      deviceId: 'auth-self',
      authType: 'selfSigned',
      primaryThumbprint: thumbprint,
    });
    expect(selfSigned.json).toMatchObject({ deviceId: 'auth-self', authType: 'selfSigned', modules: [] });
    const ca = await write('/api/devices', 'POST', { deviceId: 'auth-ca', authType: 'certificateAuthority' });
    expect(ca.status).toBe(200);
    // Added through the REST handler, so the registry holds what IoT Hub would (azure-iothub reads it back).
    const { responseBody: stored } = await t.service.registry.get('auth-self');
    expect(stored.authentication).toMatchObject({
      type: 'selfSigned',
      x509Thumbprint: { primaryThumbprint: thumbprint },
    });
    const { responseBody: caStored } = await t.service.registry.get('auth-ca');
    expect(caStored.authentication).toMatchObject({ type: 'certificateAuthority' });
    // The REST API's refusals hold: a self-signed device needs a thumbprint.
    const noThumbprint = await write('/api/devices', 'POST', {
      deviceId: 'auth-bad',
      authType: 'selfSigned',
    });
    expect([noThumbprint.status, errorCode(noThumbprint)]).toEqual([400, 'ArgumentInvalid']);

    const module = await t.connectModule('auth-sas', 'mod-a');
    module.onMethod('ping', (_req, res) => void res!.send(200, null));
    await t.hub.whenDeviceSubscribedToMethods('auth-sas/mod-a');
    await t.hub.createModule('auth-sas', 'mod-b');
    type Row = { deviceId: string; authType: string; connectionState: string; modules: unknown[] };
    const rows = (await authed('/api/devices?id=auth-')).json as Row[];
    expect(rows.map((row) => [row.deviceId, row.authType])).toEqual([
      ['auth-ca', 'certificateAuthority'],
      ['auth-sas', 'sas'],
      ['auth-self', 'selfSigned'],
    ]);
    const withModules = rows.find((row) => row.deviceId === 'auth-sas');
    expect(withModules?.connectionState).toBe('Disconnected'); // the module is connected, not its device
    expect(withModules?.modules).toEqual([
      {
        moduleId: 'mod-a',
        authType: 'sas',
        connectionState: 'Connected',
        lastActivityTime: expect.stringMatching(/^20/),
        methodsSubscribed: true,
      },
      {
        moduleId: 'mod-b',
        authType: 'sas',
        connectionState: 'Disconnected',
        lastActivityTime: '0001-01-01T00:00:00Z',
        methodsSubscribed: false,
      },
    ]);
    // The list never holds a module's keys either.
    const { responseBody: moduleIdentity } = await t.service.registry.getModule('auth-sas', 'mod-b');
    expect(JSON.stringify(rows)).not.toContain(moduleIdentity.authentication?.symmetricKey?.primaryKey);
  });

  it('shows an X.509 device added from the view connecting with its certificate', async () => {
    const cert = await certs.selfSigned('x509-live');
    const added = await write('/api/devices', 'POST', {
      deviceId: 'x509-live',
      authType: 'selfSigned',
      primaryThumbprint: cert.thumbprint,
    });
    expect(added.status).toBe(200);
    const row = async () =>
      (
        (await authed('/api/devices?id=x509-live')).json as { authType: string; connectionState: string }[]
      )[0];
    expect(await row()).toMatchObject({ authType: 'selfSigned', connectionState: 'Disconnected' });
    const client = await t.x509DeviceClient('x509-live', cert);
    await client.open();
    // A subscription comes after the hub has marked the connection (open() may resolve on CONNACK first).
    client.onDeviceMethod('noop', (_request, response) => void response.send(200, null));
    await t.hub.whenDeviceSubscribedToMethods('x509-live');
    expect(await row()).toMatchObject({ authType: 'selfSigned', connectionState: 'Connected' });
    // Its connection string names no key: the certificate is the credential.
    const revealed = await write('/api/devices/x509-live/connection-string', 'POST', {});
    expect((revealed.json as { connectionString: string }).connectionString).toMatch(
      /;DeviceId=x509-live;x509=true/,
    );
  });

  it("reads and edits (If-Match) a module's twin and invokes its methods, as the module REST routes do", async () => {
    const module = await t.connectModule('mod-dev', 'mod-1');
    const twin = await module.getTwin();
    const desired = new Promise<unknown>((resolve) =>
      twin.on('properties.desired', (delta: { mode?: string }) => {
        if (delta.mode === 'eco') resolve(delta);
      }),
    );
    module.onMethod('echo', (request, response) => void response!.send(207, { echoed: request!.payload }));
    await t.hub.whenDeviceSubscribedToMethods('mod-dev/mod-1');
    const path = '/api/twins/mod-dev/modules/mod-1';
    const read = (await authed(path)).json as { twin: { deviceId: string; moduleId: string; etag: string } };
    expect(read.twin).toMatchObject({ deviceId: 'mod-dev', moduleId: 'mod-1' });
    const saved = await write(path, 'PATCH', { etag: read.twin.etag, desired: { mode: 'eco' } });
    expect(saved.status).toBe(200);
    await expect(desired).resolves.toMatchObject({ mode: 'eco' });
    const stale = await write(path, 'PATCH', { etag: read.twin.etag, desired: { mode: 'off' } });
    expect([stale.status, errorCode(stale)]).toEqual([412, 'PreconditionFailed']);
    // The device's own twin is another twin: the module's edit did not reach it.
    const { responseBody: deviceTwin } = await t.service.registry.getTwin('mod-dev');
    expect(deviceTwin.properties.desired.mode).toBeUndefined();
    const called = await write(`${path}/methods`, 'POST', {
      methodName: 'echo',
      payload: { n: 1 },
      responseTimeoutInSeconds: 5,
    });
    expect(called.json).toEqual({
      status: 207,
      payload: { echoed: { n: 1 } },
      latencyMs: expect.any(Number),
    });
    const missing = await authed('/api/twins/mod-dev/modules/nobody');
    expect([missing.status, errorCode(missing)]).toEqual([404, 'ModuleNotFound']);
    const offline = await write('/api/devices/mod-dev/modules/nobody/reboot', 'POST', {});
    expect([offline.status, errorCode(offline)]).toEqual([404, 'ModuleNotFound']);
  });

  it('adds and removes a module through the module registry routes, with their validation and errors', async () => {
    await t.hub.createDevice('vmod-dev');
    const path = '/api/devices/vmod-dev/modules';
    // Every module action is a state change: refused without the CSRF token, and nothing is created.
    const noCsrf = await authed(path, { method: 'POST', body: { moduleId: 'vmod-1' } });
    expect([noCsrf.status, errorCode(noCsrf)]).toEqual([403, 'Forbidden']);
    expect((await t.service.registry.getModulesOnDevice('vmod-dev')).responseBody).toEqual([]);

    const added = await write(path, 'POST', { moduleId: 'vmod-1' });
    expect(added.status).toBe(200);
    expect(added.json).toMatchObject({
      deviceId: 'vmod-dev',
      modules: [{ moduleId: 'vmod-1', authType: 'sas', connectionState: 'Disconnected' }],
    });
    // Created through the REST handler (azure-iothub reads it back), and the answer holds none of its keys.
    const { responseBody: stored } = await t.service.registry.getModule('vmod-dev', 'vmod-1');
    const { primaryKey, secondaryKey } = stored.authentication?.symmetricKey ?? {};
    expect(primaryKey).toEqual(expect.any(String));
    expect(added.text).not.toContain(primaryKey);
    expect(added.text).not.toContain(secondaryKey);

    // The refusals are the REST API's own, the same status and ErrorCode the SDK's addModule gets.
    const restRefusal = async (moduleId: string) => {
      const err = (await t.service.registry
        .addModule({ deviceId: 'vmod-dev', moduleId })
        .catch((e: unknown) => e)) as { response: { statusCode: number }; responseBody: string };
      return [err.response.statusCode, /ErrorCode:([^;]*)/.exec(err.responseBody)?.[1]];
    };
    const duplicate = await write(path, 'POST', { moduleId: 'vmod-1' });
    expect([duplicate.status, errorCode(duplicate)]).toEqual([409, 'ModuleAlreadyExistsOnDevice']);
    expect(await restRefusal('vmod-1')).toEqual([409, 'ModuleAlreadyExistsOnDevice']);
    // "$" starts only IoT Hub's own module ids (Azure/azure-iot-sdk-csharp#875: 400 ArgumentInvalid).
    const reserved = await write(path, 'POST', { moduleId: '$vmod' });
    expect([reserved.status, errorCode(reserved)]).toEqual([400, 'ArgumentInvalid']);
    expect(await restRefusal('$vmod')).toEqual([400, 'ArgumentInvalid']);
    const badId = await write(path, 'POST', { moduleId: 'has space' });
    expect([badId.status, errorCode(badId)]).toEqual([400, 'ArgumentInvalid']);
    const noId = await write(path, 'POST', {});
    expect([noId.status, errorCode(noId)]).toEqual([400, 'ArgumentInvalid']);
    const noDevice = await write('/api/devices/vmod-nobody/modules', 'POST', { moduleId: 'm' });
    expect([noDevice.status, errorCode(noDevice)]).toEqual([404, 'DeviceNotFound']);
    const { responseBody: modules } = await t.service.registry.getModulesOnDevice('vmod-dev');
    expect(modules.map((m) => m.moduleId)).toEqual(['vmod-1']);

    const noCsrfRemove = await authed(`${path}/vmod-1`, { method: 'DELETE' });
    expect(noCsrfRemove.status).toBe(403);
    const removed = await write(`${path}/vmod-1`, 'DELETE');
    expect(removed.status).toBe(204);
    const gone = await t.service.registry.getModule('vmod-dev', 'vmod-1').catch((e: unknown) => e);
    expect((gone as { responseBody: string }).responseBody).toContain('ErrorCode:ModuleNotFound');
    const again = await write(`${path}/vmod-1`, 'DELETE');
    expect([again.status, errorCode(again)]).toEqual([404, 'ModuleNotFound']);
    const row = (await authed('/api/devices?id=vmod-dev')).json as { modules: unknown[] }[];
    expect(row[0]?.modules).toEqual([]);
  });

  it("reveals a module's connection string only when asked, and it connects a real ModuleClient", async () => {
    await t.hub.createDevice('vmod-cs');
    expect((await write('/api/devices/vmod-cs/modules', 'POST', { moduleId: 'agent' })).status).toBe(200);
    const { responseBody: identity } = await t.service.registry.getModule('vmod-cs', 'agent');
    const key = identity.authentication?.symmetricKey?.primaryKey as string;
    const list = await authed('/api/devices?id=vmod-cs');
    const twin = await authed('/api/twins/vmod-cs/modules/agent');
    for (const answer of [list, twin]) expect(answer.text).not.toContain(key);
    const path = '/api/devices/vmod-cs/modules/agent/connection-string';
    // A GET cannot reveal it, nor a POST without the CSRF token.
    expect((await authed(path)).status).toBe(405);
    expect((await authed(path, { method: 'POST', body: {} })).status).toBe(403);
    const revealed = await write(path, 'POST', {});
    const { connectionString } = revealed.json as { connectionString: string };
    expect(connectionString).toBe(t.hub.moduleConnectionString('vmod-cs', 'agent'));
    expect(connectionString).toContain(`;DeviceId=vmod-cs;ModuleId=agent;SharedAccessKey=${key}`);
    const missing = await write('/api/devices/vmod-cs/modules/nobody/connection-string', 'POST', {});
    expect([missing.status, errorCode(missing)]).toEqual([404, 'ModuleNotFound']);

    const client = await t.moduleClient(connectionString);
    await client.open();
    client.onMethod('ping', (_request, response) => void response!.send(200, { pong: 'agent' }));
    await t.hub.whenDeviceSubscribedToMethods('vmod-cs/agent');
    const called = await write('/api/twins/vmod-cs/modules/agent/methods', 'POST', {
      methodName: 'ping',
      payload: null,
      responseTimeoutInSeconds: 5,
    });
    expect(called.json).toMatchObject({ status: 200, payload: { pong: 'agent' } });
    const live = (await authed('/api/devices?id=vmod-cs')).json as {
      modules: { connectionState: string }[];
    }[];
    expect(live[0]?.modules[0]?.connectionState).toBe('Connected');
    // Closed first: a ModuleClient whose identity is removed retries the refused reconnect until closed.
    await client.close();
    expect((await write('/api/devices/vmod-cs/modules/agent', 'DELETE')).status).toBe(204);
    const after = await write(path, 'POST', {});
    expect([after.status, errorCode(after)]).toEqual([404, 'ModuleNotFound']);
  });

  it('refuses a stale etag on a twin edit (412) and keeps the newer twin', async () => {
    await t.hub.createDevice('etag-1');
    const first = (await authed('/api/twins/etag-1')).json as { twin: { etag: string } };
    const saved = await write('/api/twins/etag-1', 'PATCH', {
      etag: first.twin.etag,
      desired: { mode: 'a' },
    });
    expect(saved.status).toBe(200);
    const stale = await write('/api/twins/etag-1', 'PATCH', {
      etag: first.twin.etag,
      desired: { mode: 'b' },
    });
    expect([stale.status, errorCode(stale)]).toEqual([412, 'PreconditionFailed']);
    const now = (await authed('/api/twins/etag-1')).json as {
      twin: { properties: { desired: { mode: string } } };
    };
    expect(now.twin.properties.desired.mode).toBe('a');
    const blind = await write('/api/twins/etag-1', 'PATCH', { desired: { mode: 'c' } });
    expect(blind.status).toBe(400);
  });

  it('filters devices by id and by a twin condition, and places a condition error in the condition', async () => {
    await t.hub.createDevice('filter-lab-1');
    await t.hub.createDevice('filter-lab-2');
    await t.service.registry.updateTwin('filter-lab-2', { tags: { site: 'lab' } }, '*');
    const ids = async (query: string) =>
      ((await authed(`/api/devices?${query}`)).json as { deviceId: string }[]).map((d) => d.deviceId);
    expect(await ids('id=FILTER-LAB')).toEqual(['filter-lab-1', 'filter-lab-2']);
    expect(await ids(`id=filter&where=${encodeURIComponent("tags.site = 'lab'")}`)).toEqual(['filter-lab-2']);
    const bad = await authed(`/api/devices?where=${encodeURIComponent('tags.site = = 1')}`);
    expect(bad.status).toBe(400);
    expect((bad.json as { Message: string }).Message).toMatch(/at position 12/);
  });

  it('pages a query with the REST continuation rules', async () => {
    for (const id of ['page-1', 'page-2', 'page-3']) await t.hub.createDevice(id);
    const query = "SELECT deviceId FROM devices WHERE STARTSWITH(deviceId, 'page-')";
    const first = (await write('/api/query', 'POST', { query, pageSize: 2 })).json as {
      items: unknown[];
      continuation: string | null;
    };
    expect(first.items).toHaveLength(2);
    expect(first.continuation).toEqual(expect.any(String));
    const second = (
      await write('/api/query', 'POST', { query, pageSize: 2, continuation: first.continuation })
    ).json as { items: unknown[]; continuation: string | null };
    expect(second).toEqual({ items: [expect.anything()], continuation: null });
    const syntax = await write('/api/query', 'POST', { query: 'SELECT * FROM devices WHERE' });
    expect(syntax.status).toBe(400);
    expect((syntax.json as { Message: string }).Message).toMatch(/at position \d+/);
  });

  it('streams connections, method calls with status and duration, and twin changes as they happen', async () => {
    type Seen = { type: string; deviceId?: string; moduleId?: string; status?: number; durationMs?: number };
    const events: Seen[] = [];
    const waiters: { predicate: (e: Seen) => boolean; resolve: () => void }[] = [];
    // Resolves on the first streamed event (so far or later) that matches.
    const seen = (predicate: (e: Seen) => boolean) =>
      new Promise<void>((resolve) => {
        if (events.some(predicate)) resolve();
        else waiters.push({ predicate, resolve });
      });
    const arrived = (event: Seen) => {
      events.push(event);
      for (const waiter of waiters.filter((w) => w.predicate(event))) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
    };
    const url = new URL('/api/events', base);
    const stream = await new Promise<import('node:http').IncomingMessage>((resolve, reject) => {
      const req = request(
        { host: url.hostname, port: url.port, path: url.pathname, agent: false, headers: { cookie } },
        resolve,
      );
      req.on('error', reject);
      req.end();
    });
    expect(stream.headers['content-type']).toMatch(/text\/event-stream/);
    let buffer = '';
    stream.on('data', (chunk: Buffer) => {
      buffer += chunk.toString('utf8');
      let end = buffer.indexOf('\n\n');
      while (end >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const data = block.split('\n').find((line) => line.startsWith('data: '));
        if (data) arrived(JSON.parse(data.slice(6)));
        end = buffer.indexOf('\n\n');
      }
    });
    try {
      const device = await t.connectDevice('live-1');
      await seen((e) => e.type === 'connection' && e.deviceId === 'live-1');
      device.onDeviceMethod('ping', (_req, res) => void res.send(203, { pong: true }));
      await t.hub.whenDeviceSubscribedToMethods('live-1');
      const call = await write('/api/twins/live-1/methods', 'POST', {
        methodName: 'ping',
        payload: null,
        responseTimeoutInSeconds: 5,
      });
      expect(call.json).toEqual({ status: 203, payload: { pong: true }, latencyMs: expect.any(Number) });
      await seen((e) => e.type === 'method' && e.deviceId === 'live-1' && e.status === 203);
      expect(events.find((e) => e.type === 'method')?.durationMs).toEqual(expect.any(Number));
      const twin = await device.getTwin();
      await new Promise<void>((resolve, reject) =>
        twin.properties.reported.update({ temperature: 21 }, (err?: Error) =>
          err ? reject(err) : resolve(),
        ),
      );
      await seen((e) => e.type === 'twin' && e.deviceId === 'live-1');
      // A module's events name its device and the module apart (the hub keys it `live-1/watcher`).
      await t.connectModule('live-1', 'watcher');
      await seen((e) => e.type === 'connection' && e.deviceId === 'live-1' && e.moduleId === 'watcher');
      await seen((e) => e.type === 'device' && e.moduleId === 'watcher');
    } finally {
      stream.destroy();
    }
  });

  it('cancels a running reboot job and lists its per-device results', async () => {
    const device = await t.connectDevice('cancel-1');
    const called = new Promise<void>((resolve) =>
      // Never answers: the job stays running on this device until it is cancelled.
      device.onDeviceMethod('rebootDevice', () => resolve()),
    );
    await t.hub.whenDeviceSubscribedToMethods('cancel-1');
    await t.service.registry.updateTwin('cancel-1', { tags: { group: 'cancel' } }, '*');
    const created = await write('/api/jobs', 'POST', { queryCondition: "tags.group = 'cancel'" });
    expect(created.status).toBe(200);
    const { jobId } = created.json as { jobId: string };
    await called;
    const cancelled = await write(`/api/jobs/${jobId}/cancel`, 'POST', {});
    expect(cancelled.json).toMatchObject({ jobId, status: 'cancelled' });
    const listed = (await authed('/api/jobs')).json as { jobId: string; status: string }[];
    expect(listed.find((job) => job.jobId === jobId)?.status).toBe('cancelled');
    const rows = (await authed(`/api/jobs/${jobId}/devices`)).json as { deviceId: string }[];
    expect(rows.map((row) => row.deviceId)).toEqual(['cancel-1']);
    const unknown = await authed('/api/jobs/no-such-job/devices');
    expect([unknown.status, errorCode(unknown)]).toEqual([404, 'JobNotFound']);
  });

  it('never logs the access token or the CSRF token', () => {
    const token = new URL(viewUrl()).searchParams.get('token') as string;
    expect(logs.length).toBeGreaterThan(0);
    expect(logs).not.toContain(token);
    expect(logs).not.toContain(csrf);
  });
});
