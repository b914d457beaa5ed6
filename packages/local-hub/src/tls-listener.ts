import type { Socket } from 'node:net';
import type { Server, TlsOptions } from 'node:tls';
import type { Logger } from 'pino';

/** The hub's server certificate and key (PEM). */
export interface ServerTls {
  cert: string;
  key: string;
}

/** TLS settings both listeners (MQTT and HTTPS) share: TLS 1.2 or newer, a bounded handshake. */
export function tlsServerOptions(tls: ServerTls, handshakeTimeoutMs: number): TlsOptions {
  return { cert: tls.cert, key: tls.key, minVersion: 'TLSv1.2', handshakeTimeout: handshakeTimeoutMs };
}

/** A listening TLS server (plain `tls` or `https`) and what closes every connection it ever accepted. */
export interface TlsListener {
  port: number;
  /** Stops accepting; resolves once every connection has closed. Call {@link destroyConnections} to hurry it. */
  closed(): Promise<void>;
  /** Ends every connection now, those still in their TLS handshake included. */
  destroyConnections(): void;
}

/**
 * Connections the kernel may hold for the hub before it accepts them (the kernel caps it at
 * `net.core.somaxconn`, 4096 by default on Linux 5.4 and later). Node's default of 511 is what a fleet
 * reconnecting at once overflowed: while the hub worked through the first thousands of handshakes, the
 * kernel dropped further SYNs, and each of those devices waited out TCP's SYN retransmission backoff
 * (1, 2, 4, 8, 16 s …): a third of a 10,000-device reconnect storm. Real IoT Hub admits a whole fleet.
 */
const LISTEN_BACKLOG = 65_535;

/**
 * Starts `server` on `port` (0: a free one) with the rules both of the hub's listeners follow: a failed or
 * timed-out handshake ends its socket (Node emits `tlsClientError` but leaves the socket open, so a client
 * that never starts TLS would hold it for ever), and every socket is tracked from its first byte, so close
 * can end connections that no protocol layer knows yet.
 */
export async function listenTls(
  server: Server,
  port: number,
  host: string,
  logger: Logger,
): Promise<TlsListener> {
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  server.on('tlsClientError', (err, socket) => {
    logger.debug({ err }, 'TLS handshake failed');
    socket.destroy();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port, host, backlog: LISTEN_BACKLOG }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : port,
    closed: () => new Promise<void>((resolve) => server.close(() => resolve())),
    destroyConnections: () => {
      for (const socket of sockets) socket.destroy();
    },
  };
}
