import { existsSync, readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { createServer } from 'node:tls';
import pino from 'pino';
import { loadOrCreateCertificates } from './certificates';
import { listenTls, tlsServerOptions } from './tls-listener';

const TCP_TABLE = '/proc/net/tcp';
const SOMAXCONN = '/proc/sys/net/core/somaxconn';
const LISTEN_STATE = '0A';

/**
 * Connections waiting in the accept queue of the IPv4 listener on `port` (Linux). For a listening socket
 * /proc/net/tcp's rx_queue is that queue's length (net/ipv4/tcp_ipv4.c, get_tcp4_sock): it is this
 * listener's own figure, where the `ListenOverflows` counter of /proc/net/netstat is the whole machine's
 * and moves with every other suite's listeners.
 */
function acceptQueue(port: number): number {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  for (const line of readFileSync(TCP_TABLE, 'utf8').split('\n').slice(1)) {
    const [, local, , state, queues] = line.trim().split(/\s+/);
    if (state === LISTEN_STATE && local?.endsWith(`:${hexPort}`))
      return Number.parseInt((queues as string).split(':')[1] as string, 16);
  }
  throw new Error(`no listener on port ${port} in ${TCP_TABLE}`);
}

const COUNT = 1000;
const somaxconn = existsSync(SOMAXCONN) ? Number(readFileSync(SOMAXCONN, 'utf8')) : 0;
const canTell = existsSync(TCP_TABLE) && somaxconn >= COUNT;
if (!canTell)
  process.stderr.write(
    `tls-listener: needs Linux's ${TCP_TABLE} and net.core.somaxconn >= ${COUNT}, so the listen-queue test is SKIPPED\n`,
  );

describe('listenTls', () => {
  // 1,000 connects issued before the hub's event loop can accept one: with Node's default backlog (511)
  // the kernel queues 512 and drops the other SYNs, and those devices wait out TCP's SYN retransmission
  // (1 s, 2 s, 4 s …). The loopback handshakes complete in the kernel, so the queue is read while this
  // thread still holds the event loop.
  (canTell ? it : it.skip)('queues a burst of connections larger than Node’s default backlog', async () => {
    const certs = await loadOrCreateCertificates(undefined, []);
    const server = createServer(
      tlsServerOptions({ cert: certs.serverCertPem, key: certs.serverKeyPem }, 5000),
    );
    const listener = await listenTls(server, 0, '127.0.0.1', pino({ level: 'silent' }));
    let accepted = 0;
    const allAccepted = new Promise<void>((resolve) =>
      server.on('connection', () => {
        accepted += 1;
        if (accepted === COUNT) resolve();
      }),
    );
    const sockets: Socket[] = [];
    for (let i = 0; i < COUNT; i += 1)
      sockets.push(connect(listener.port, '127.0.0.1').on('error', () => {}));
    // net.connect dials an IP address on the next tick; after those ticks, and before the event loop gets
    // to accept anything, the queue is read without yielding. The kernel may finish the last handshakes in
    // its softirq just after the connects return; a queue held to 512 stays there, so the reading gives up
    // after a bound and shows the figure.
    await new Promise<void>((resolve) => process.nextTick(resolve));
    let queued = acceptQueue(listener.port);
    for (const giveUpAt = Date.now() + 10_000; queued < COUNT && Date.now() < giveUpAt; )
      queued = acceptQueue(listener.port);
    expect(queued).toBe(COUNT);
    await allAccepted;
    for (const socket of sockets) socket.destroy();
    listener.destroyConnections();
    await listener.closed();
  });
});
