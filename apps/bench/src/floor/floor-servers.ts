import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { createServer as createTlsServer, type Server as TlsServer } from 'node:tls';
import { Aedes } from 'aedes';
import { generate } from 'selfsigned';

/** Key type of a floor server's certificate: the hub's is RSA 2048, so the floor's is too by default. */
export type FloorKeyType = 'rsa' | 'ec';

/** The topics of the broker floor: a request on `floor/req/<rid>` is answered on `floor/res/<rid>`. */
export const BROKER_REQUEST_TOPIC = 'floor/req/';
export const BROKER_RESPONSE_TOPIC = 'floor/res/';

/** The independent floors' servers, none of them with any hub logic. */
export interface FloorServers {
  caPem: string;
  /** Bare TLS: echoes every byte back. */
  echoPort: number;
  /** aedes over TLS, accepting every client; answers each request publish to its sender only. */
  brokerPort: number;
  /** Bare HTTPS: 200 `{}` for any request, keep-alive. */
  httpsPort: number;
  close(): Promise<void>;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/** A CA and a server certificate for localhost / 127.0.0.1, like the hub's, of `keyType`. */
async function certificates(keyType: FloorKeyType) {
  const now = Date.now();
  const keyOptions =
    keyType === 'ec' ? { keyType: 'ec' as const, curve: 'P-256' as const } : { keySize: 2048 };
  const ca = await generate([{ name: 'commonName', value: 'bench floor CA' }], {
    ...keyOptions,
    algorithm: 'sha256',
    notBeforeDate: new Date(now - DAY_MS),
    notAfterDate: new Date(now + 30 * DAY_MS),
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    ],
  });
  const leaf = await generate([{ name: 'commonName', value: 'localhost' }], {
    ...keyOptions,
    algorithm: 'sha256',
    notBeforeDate: new Date(now - DAY_MS),
    notAfterDate: new Date(now + 30 * DAY_MS),
    ca: { cert: ca.cert, key: ca.private },
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          { type: 2 as const, value: 'localhost' },
          { type: 7 as const, ip: '127.0.0.1' },
        ],
      },
    ],
  });
  return { caPem: ca.cert, cert: leaf.cert, key: leaf.private };
}

function listen(server: TlsServer | HttpsServer): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
}

/**
 * Starts the three floor servers on loopback. The same TLS settings as the hub's listeners (TLS 1.2+, the
 * same kind of certificate), so a hub round trip over a floor's is what the hub's own work costs.
 */
export async function startFloorServers(keyType: FloorKeyType): Promise<FloorServers> {
  const { caPem, cert, key } = await certificates(keyType);
  const tlsOptions = { cert, key, minVersion: 'TLSv1.2' as const };
  const sockets = new Set<Socket>();
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  };

  const echo = createTlsServer(tlsOptions, (socket) => {
    socket.on('data', (chunk) => socket.write(chunk));
    socket.on('error', () => socket.destroy());
  });
  echo.on('connection', track);

  const broker = await Aedes.createBroker();
  // No hub logic: the request is answered to its sender alone (per-client publish, as the hub replies).
  broker.on('publish', (packet, client) => {
    if (!client || !packet.topic.startsWith(BROKER_REQUEST_TOPIC)) return;
    const rid = packet.topic.slice(BROKER_REQUEST_TOPIC.length);
    client.publish(
      {
        cmd: 'publish',
        topic: `${BROKER_RESPONSE_TOPIC}${rid}`,
        payload: packet.payload,
        qos: 0,
        retain: false,
        dup: false,
      },
      () => undefined,
    );
  });
  const brokerServer = createTlsServer(tlsOptions, (socket) => broker.handle(socket));
  brokerServer.on('connection', track);

  const https = createHttpsServer({ ...tlsOptions, keepAliveTimeout: 120_000 }, (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': '2' });
    res.end('{}');
  });
  https.on('connection', track);

  const [echoPort, brokerPort, httpsPort] = [
    await listen(echo),
    await listen(brokerServer),
    await listen(https),
  ];
  return {
    caPem,
    echoPort,
    brokerPort,
    httpsPort,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await Promise.all([
        new Promise<void>((resolve) => echo.close(() => resolve())),
        new Promise<void>((resolve) => brokerServer.close(() => resolve())),
        new Promise<void>((resolve) => https.close(() => resolve())),
        new Promise<void>((resolve) => broker.close(() => resolve())),
      ]);
    },
  };
}
