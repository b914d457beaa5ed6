import { Agent } from 'node:https';
import fc from 'fast-check';
import { expectHubError } from '../../test-support/hub-errors';
import { liveBytes, MB } from '../../test-support/memory';
import { rawRequest, serviceToken } from '../../test-support/rest-client';
import { startTestHub, type TestHub } from '../../testing';

// Fixed so a failure replays; override with FUZZ_SEED to explore further.
const SEED = Number(process.env.FUZZ_SEED ?? 20261128);
const RUNS = 1000;
/** Live memory the hub may keep after the whole run (devices the fuzzer happened to create included). */
const MEMORY_BOUND = 40 * MB;

const word = fc.constantFrom('devices', 'twins', 'methods', 'query', 'jobs', 'v2', 'cancel', 'health');
const segment = fc.oneof(
  word,
  fc.constantFrom('fz-1', '', '.', '..', '%', '%zz', '%E0%A4%A', '%2F', '[', '__proto__', 'constructor'),
  fc.string({ maxLength: 40 }).map(encodeURIComponent),
);
const path = fc
  .tuple(fc.constantFrom('/', '//'), fc.array(segment, { maxLength: 4 }))
  .map(([lead, parts]) => `${lead}${parts.join('/')}`);
const query = fc.oneof(
  fc.constant('?api-version=2021-04-12'),
  fc.constant(''),
  fc
    .array(fc.tuple(fc.constantFrom('api-version', 'top', 'x', ''), fc.string({ maxLength: 20 })))
    .map((pairs) => `?${pairs.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&')}`),
);
// Header values must be printable for Node's client to send them at all.
const headerText = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map(String.fromCharCode) });
const deepJson = fc
  .tuple(fc.constantFrom('[', '{"a":'), fc.integer({ min: 1, max: 20_000 }))
  .map(([open, n]) => `${open.repeat(n)}1${(open === '[' ? ']' : '}').repeat(n)}`);
const queryText = fc
  .array(
    fc.oneof(
      fc.constantFrom('SELECT', '*', 'FROM', 'devices', 'WHERE', 'TOP', 'GROUP BY', 'AND', 'NOT', 'IN'),
      fc.constantFrom('(', ')', '=', '<>', ',', "'x'", '"y"', 'tags.a', 'COUNT()', 'IS_DEFINED(', '1e999'),
      fc.string({ maxLength: 10 }),
    ),
    { maxLength: 30 },
  )
  .map((parts) => parts.join(' '));
const body = fc.oneof(
  fc.constant(undefined),
  fc.json({ maxDepth: 4 }),
  fc.string({ maxLength: 200 }),
  deepJson,
  queryText.map((q) => JSON.stringify({ query: q })),
  fc
    .record({ methodName: fc.string({ maxLength: 10 }), payload: fc.jsonValue({ maxDepth: 3 }) })
    .map((b) => JSON.stringify(b)),
  fc.record({ deviceId: fc.string({ maxLength: 10 }), status: fc.string() }).map((b) => JSON.stringify(b)),
);

describe('REST fuzzing against a running hub', () => {
  let t: TestHub;
  let agent: Agent;
  beforeAll(async () => {
    t = await startTestHub();
    await t.hub.createDevice('fz-1');
    agent = new Agent({ keepAlive: true, maxSockets: 8 });
  });
  afterAll(async () => {
    agent.destroy();
    await t.close();
  });

  // Failures the fuzzer (and its first exploration) found, kept as fixed cases.
  it.each([
    [
      'a Content-Length that is not a number',
      'GET',
      '/',
      { headers: { 'content-length': 'abc' }, body: '{}' },
    ],
    ['a target that is no valid URL', 'GET', '//[?api-version=2021-04-12', {}],
    [
      'a method payload nested 5000 levels deep',
      'POST',
      '/twins/fz-1/methods?api-version=2021-04-12',
      { body: `{"methodName":"m","payload":${'['.repeat(5000)}${']'.repeat(5000)}}` },
    ],
  ] as const)('answers %s with a 4xx IoT Hub error', async (_label, method, target, options) => {
    expectHubError(await rawRequest(t.hub, method, target, options));
  });

  it('still answers a request whose unframed body the parser then refuses', async () => {
    // Node's client sends a GET body without Content-Length; the hub must not drop the answer it owes.
    const res = await rawRequest(t.hub, 'GET', '/devices?api-version=2021-04-12', { body: '{}' });
    expect(res.status).toBe(200);
  });

  it(`answers generated requests with IoT Hub errors, never 5xx, memory bounded (seed ${SEED}, ${RUNS} runs)`, async () => {
    const owner = serviceToken(t.hub);
    const sig = decodeURIComponent(/sig=([^&]+)/.exec(owner)?.[1] ?? '');
    const auth = fc.oneof(
      fc.constant(owner),
      fc.constant(serviceToken(t.hub, 'registryRead')),
      fc.constant(serviceToken(t.hub, 'service', -60)),
      fc.constant(null),
      headerText,
      headerText.map((text) => `SharedAccessSignature ${text}`),
      headerText.map(
        (text) => `SharedAccessSignature sr=localhost&sig=${text}&se=9999999999&skn=iothubowner`,
      ),
    );
    const headers = fc.record(
      {
        'x-ms-max-item-count': headerText,
        'x-ms-continuation': headerText,
        'if-match': headerText,
        'content-type': headerText,
        'content-length': fc.constantFrom('abc', '-1', '1.5', '0x10'),
      },
      { requiredKeys: [] },
    );
    const request = fc.record({
      method: fc.constantFrom('GET', 'PUT', 'POST', 'PATCH', 'DELETE', 'OPTIONS'),
      path,
      query,
      auth,
      headers,
      body,
    });
    const before = liveBytes();
    await fc.assert(
      fc.asyncProperty(request, async (r) => {
        // Node's client sends a GET/DELETE/OPTIONS body unframed; frame it, or the connection is garbage.
        const framing = r.body === undefined ? {} : { 'content-length': String(Buffer.byteLength(r.body)) };
        const res = await rawRequest(t.hub, r.method, `${r.path}${r.query}`, {
          auth: r.auth,
          headers: { ...framing, ...r.headers },
          agent,
          ...(r.body === undefined ? {} : { body: r.body }),
        });
        if (res.status >= 300) expectHubError(res, [sig, t.hub.listDevices()[0]?.primaryKey ?? '']);
      }),
      { seed: SEED, numRuns: RUNS },
    );
    const health = await rawRequest(t.hub, 'GET', '/health', { auth: null });
    expect(health.status).toBe(200);
    expect(liveBytes() - before).toBeLessThan(MEMORY_BOUND);
  }, 60_000);
});
