import { existsSync, readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { createServer } from 'node:tls';
import pino from 'pino';
import { loadOrCreateCertificates } from './certificates';
import { listenTls, tlsServerOptions } from './tls-listener';

const NETSTAT = '/proc/net/netstat';

/** The kernel's count of connections dropped because a listen queue was full (Linux, machine-wide). */
function listenOverflows(): number {
  const lines = readFileSync(NETSTAT, 'utf8').split('\n');
  for (let i = 0; i + 1 < lines.length; i += 2) {
    const names = (lines[i] as string).split(/\s+/);
    const values = (lines[i + 1] as string).split(/\s+/);
    const at = names.indexOf('ListenOverflows');
    if (names[0] === 'TcpExt:' && at > 0) return Number(values[at]);
  }
  throw new Error(`no ListenOverflows in ${NETSTAT}`);
}

const onLinux = existsSync(NETSTAT);
if (!onLinux) process.stderr.write(`tls-listener: no ${NETSTAT} here, so the listen-queue test is SKIPPED\n`);

describe('listenTls', () => {
  // 1,000 connects issued before the hub's event loop can accept one: with Node's default backlog (511)
  // the kernel drops the rest, and those devices wait out TCP's SYN retransmission (1 s, 2 s, 4 s …).
  (onLinux ? it : it.skip)('queues a burst of connections larger than Node’s default backlog', async () => {
    const certs = await loadOrCreateCertificates(undefined, []);
    const server = createServer(
      tlsServerOptions({ cert: certs.serverCertPem, key: certs.serverKeyPem }, 5000),
    );
    const listener = await listenTls(server, 0, '127.0.0.1', pino({ level: 'silent' }));
    const count = 1000;
    let accepted = 0;
    const allAccepted = new Promise<void>((resolve) =>
      server.on('connection', () => {
        accepted += 1;
        if (accepted === count) resolve();
      }),
    );
    const before = listenOverflows();
    const sockets: Socket[] = [];
    for (let i = 0; i < count; i += 1)
      sockets.push(connect(listener.port, '127.0.0.1').on('error', () => {}));
    await allAccepted;
    expect(listenOverflows() - before).toBe(0);
    for (const socket of sockets) socket.destroy();
    listener.destroyConnections();
    await listener.closed();
  });
});
