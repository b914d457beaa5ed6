import { Writable } from 'node:stream';
import { connect as tlsConnect } from 'node:tls';
import pino from 'pino';
import { derivePolicyKey, POLICY_NAMES, WELL_KNOWN_OWNER_KEY } from '../../auth/policies';
import { connackCode, connectRaw, deviceToken } from '../../test-support/raw-mqtt';
import { rawRequest, serviceToken } from '../../test-support/rest-client';
import { untilClosed } from '../../test-support/sockets';
import { startTestHub, type TestHub } from '../../testing';

const API = '?api-version=2021-04-12';
/** pino writes a Buffer as a list of byte values; decode them so their text is scanned too. */
const withBuffersDecoded = (line: string) =>
  line.replace(/"type":"Buffer","data":\[([\d,]*)\]/g, (_all, bytes: string) =>
    Buffer.from(bytes.split(',').map(Number)).toString('latin1'),
  );
const sigOf = (token: string) => decodeURIComponent(/sig=([^&]+)/.exec(token)?.[1] ?? '');

describe('secrets never reach the logs (hub at debug level, representative flow)', () => {
  const lines: string[] = [];
  let t: TestHub;
  beforeAll(async () => {
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(...chunk.toString().split('\n').filter(Boolean));
        done();
      },
    });
    t = await startTestHub({ logger: pino({ level: 'debug' }, sink) });
  });
  afterAll(() => t.close());

  it('logs the flow without any key, signature, token or full connection string', async () => {
    const { hub, service } = t;
    const secrets = new Set<string>(POLICY_NAMES.map((p) => derivePolicyKey(WELL_KNOWN_OWNER_KEY, p)));
    const tokens: string[] = [];
    const connectionStrings = POLICY_NAMES.map((p) => hub.serviceConnectionString(p));

    // Connect, twin, method, query through the real SDKs.
    const created = await hub.createDevice('sec-1');
    secrets.add(created.primaryKey).add(created.secondaryKey);
    connectionStrings.push(created.connectionString);
    const device = await t.connectDevice('sec-1');
    device.onDeviceMethod('reboot', (_req, res) => void res.send(200, { ok: true }));
    await hub.whenDeviceSubscribedToMethods('sec-1');
    const twin = await device.getTwin();
    await new Promise<void>((resolve, reject) =>
      twin.properties.reported.update({ rebooted: 1 }, (err?: Error) => (err ? reject(err) : resolve())),
    );
    await service.client.invokeDeviceMethod('sec-1', { methodName: 'reboot', payload: null });
    const { responseBody } = await service.registry.getTwin('sec-1');
    await service.registry.updateTwin('sec-1', { properties: { desired: { a: 1 } } }, responseBody.etag);
    const query = service.registry.createQuery('SELECT * FROM devices');
    await query.nextAsTwin(query.continuationToken);
    const { responseBody: made } = await service.registry.create({ deviceId: 'sec-2' });
    secrets.add(made.authentication?.symmetricKey?.primaryKey ?? 'x');

    // Authentication failures, on both ports.
    const wrongKey = Buffer.alloc(32, 7).toString('base64');
    secrets.add(wrongKey);
    for (const token of [
      deviceToken(hub, 'sec-1', wrongKey),
      deviceToken(hub, 'sec-1', created.primaryKey, -5),
      deviceToken(hub, 'sec-nobody', wrongKey),
    ]) {
      tokens.push(token);
      await connackCode(connectRaw(hub, token.includes('nobody') ? 'sec-nobody' : 'sec-1', token));
    }
    for (const auth of [
      serviceToken(hub, 'iothubowner', -5),
      serviceToken(hub, 'registryRead'),
      `${serviceToken(hub)}x`,
    ]) {
      tokens.push(auth);
      await rawRequest(hub, 'PUT', `/devices/sec-3${API}`, { auth, body: '{"deviceId":"sec-3"}' });
    }
    // A malformed request that carries a valid token: Node's parser error holds the raw bytes.
    const valid = serviceToken(hub);
    tokens.push(valid);
    const socket = tlsConnect({ host: '127.0.0.1', port: hub.httpsPort, ca: hub.caPem });
    const closed = untilClosed(socket);
    socket.write(`GET /devices${API} HTTP/1.1\r\nAuthorization: ${valid}\r\nContent-Length: x\r\n\r\n`);
    await closed;
    // The device's own connection string, as a wrong password.
    await connackCode(connectRaw(hub, 'sec-1', created.connectionString));

    const forbidden = [
      ...secrets,
      ...tokens,
      ...tokens.map(sigOf),
      ...tokens.map((token) => encodeURIComponent(sigOf(token))),
      ...connectionStrings,
      'SharedAccessSignature sr=',
      'SharedAccessKey=',
    ];
    expect(lines.length).toBeGreaterThan(10);
    expect(lines.join('\n')).toMatch(/device connection refused/);
    for (const line of lines.map(withBuffersDecoded)) {
      for (const secret of forbidden) expect(line).not.toContain(secret);
    }
  });
});
