import type { Socket } from 'node:net';
import { createServer, type Server } from 'node:tls';
import { Aedes, type AuthenticateError, type Client } from 'aedes';
import type { Logger } from 'pino';
import { authenticateDevice } from '../auth/device-auth';
import type { PolicyName } from '../auth/policies';
import type { DeviceRegistry } from '../registry/devices';
import type { ConnectionCredentials } from './credentials';
import { type DeviceMessageContext, dispatchDevicePublish } from './dispatch';
import { MqttPacketSizeMeter } from './packet-size';
import { isAllowedSubscription, isDeliverableTo, parseDevicePublish } from './topics';

export interface MqttServerOptions {
  hostName: string;
  bindAddress: string;
  port: number;
  tls: { cert: string; key: string };
  policyKeys: Readonly<Record<PolicyName, string>>;
  registry: DeviceRegistry;
  context: DeviceMessageContext;
  /** Ends connections at token expiry and key regeneration. */
  credentials: ConnectionCredentials;
  /** Longest a client may take for its TLS handshake, then for its CONNECT packet. */
  slowClientTimeoutMs: number;
  logger: Logger;
}

export interface MqttServer {
  port: number;
  close(): Promise<void>;
}

/** MQTT 3.1.1 over TLS with IoT Hub's device rules, expressed as aedes hooks. */
export async function startMqttServer(options: MqttServerOptions): Promise<MqttServer> {
  const { context, registry, logger, credentials } = options;
  const { sessions } = context;
  const broker = await Aedes.createBroker({
    connectTimeout: options.slowClientTimeoutMs,
    authenticate(client, username, password, done) {
      const result = authenticateDevice({
        hostName: options.hostName,
        clientId: client.id,
        username,
        password: password?.toString('utf8'),
        device: registry.get(client.id),
        policyKeys: options.policyKeys,
        nowSeconds: Math.floor(Date.now() / 1000),
      });
      if (result.ok) {
        credentials.granted(client, result);
        return done(null, true);
      }
      logger.info({ deviceId: client.id, reason: result.reason }, 'device connection refused');
      const error = Object.assign(new Error(result.reason), {
        returnCode: result.returnCode,
      }) as AuthenticateError;
      done(error, null);
    },
    authorizePublish(client, packet, done) {
      if (!client) return done(null);
      const message = parseDevicePublish(client.id, packet.topic);
      if (!message) {
        // IoT Hub disconnects a device that publishes outside its own topics.
        logger.warn({ deviceId: client.id, topic: packet.topic }, 'publish on a forbidden topic');
        return done(new Error('Publishing on this topic is not allowed'));
      }
      // IoT Hub never stores retained messages; aedes would keep one per topic for ever (memory a device
      // could grow without bound by varying its telemetry topic).
      packet.retain = false;
      dispatchDevicePublish(context, client, client.id, message, toBuffer(packet.payload));
      done(null);
    },
    authorizeSubscribe(client, subscription, done) {
      if (!isAllowedSubscription(client.id, subscription.topic)) {
        logger.warn({ deviceId: client.id, filter: subscription.topic }, 'subscription refused');
        return done(null, null);
      }
      // IoT Hub supports QoS 0 and 1 only.
      done(null, { ...subscription, qos: Math.min(subscription.qos, 1) as 0 | 1 });
    },
    authorizeForward(client, packet) {
      return isDeliverableTo(client.id, packet.topic) ? packet : null;
    },
  });

  broker.on('clientReady', (client: Client) => {
    credentials.ready(client);
    sessions.connected(client.id, client);
  });
  broker.on('clientDisconnect', (client: Client) => {
    credentials.gone(client);
    sessions.disconnected(client.id, client);
  });
  broker.on('subscribe', (subscriptions, client: Client) => {
    const granted = subscriptions.filter((s) => (s.qos as number) !== 128).map((s) => s.topic);
    if (client) sessions.subscribed(client.id, granted);
  });
  broker.on('unsubscribe', (filters, client: Client) => {
    if (client) sessions.unsubscribed(client.id, filters);
  });
  broker.on('clientError', (client: Client, err) =>
    logger.debug({ err, deviceId: client.id }, 'client error'),
  );
  broker.on('connectionError', (_client, err) => logger.debug({ err }, 'connection error'));

  const server: Server = createServer(
    {
      cert: options.tls.cert,
      key: options.tls.key,
      minVersion: 'TLSv1.2',
      handshakeTimeout: options.slowClientTimeoutMs,
    },
    (socket) => {
      broker.handle(socket);
      // aedes reads with 'readable' + read(); a 'data' listener then only observes what it reads.
      const meter = new MqttPacketSizeMeter();
      socket.on('data', (chunk: Buffer) => {
        if (meter.push(chunk)) return;
        logger.warn('MQTT packet over the size limit: connection dropped');
        socket.destroy();
      });
    },
  );
  // Every connection, from its first byte: one still in its TLS handshake is not aedes' yet, and close()
  // must end it too (a reconnecting client would otherwise keep a closed hub's socket open).
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  // Node emits handshake failures and timeouts here but leaves the socket open: a client that never
  // starts TLS would hold it for ever.
  server.on('tlsClientError', (err, socket) => {
    logger.debug({ err }, 'TLS handshake failed');
    socket.destroy();
  });
  await listen(server, options.port, options.bindAddress).catch(async (err: unknown) => {
    await new Promise<void>((resolve) => broker.close(() => resolve()));
    throw err;
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;

  return {
    port,
    // Done only once the listener and every client connection are closed, not when closing starts.
    close: async () => {
      const serverClosed = new Promise<void>((resolve) => server.close(() => resolve()));
      await new Promise<void>((resolve) => broker.close(() => resolve()));
      credentials.close();
      for (const socket of sockets) socket.destroy();
      await serverClosed;
    },
  };
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

function toBuffer(payload: string | Buffer): Buffer {
  return typeof payload === 'string' ? Buffer.from(payload) : payload;
}
