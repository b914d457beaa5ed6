import { createServer, type Server } from 'node:tls';
import { Aedes, type AuthenticateError, type Client } from 'aedes';
import type { Logger } from 'pino';
import { authenticateDevice } from '../auth/device-auth';
import type { PolicyName } from '../auth/policies';
import type { DeviceRegistry } from '../registry/devices';
import { listenTls, type ServerTls, tlsServerOptions } from '../tls-listener';
import { type DeviceMessageContext, dispatchDevicePublish } from './dispatch';
import { MqttPacketSizeMeter } from './packet-size';
import { isAllowedSubscription, isDeliverableTo, parseDevicePublish } from './topics';

export interface MqttServerOptions {
  hostName: string;
  bindAddress: string;
  port: number;
  tls: ServerTls;
  policyKeys: Readonly<Record<PolicyName, string>>;
  registry: DeviceRegistry;
  context: DeviceMessageContext;
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
  const { context, registry, logger } = options;
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
      if (result.ok) return done(null, true);
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

  broker.on('clientReady', (client: Client) => sessions.connected(client.id, client));
  broker.on('clientDisconnect', (client: Client) => sessions.disconnected(client.id, client));
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
    tlsServerOptions(options.tls, options.slowClientTimeoutMs),
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
  const listener = await listenTls(server, options.port, options.bindAddress, logger).catch(
    async (err: unknown) => {
      await new Promise<void>((resolve) => broker.close(() => resolve()));
      throw err;
    },
  );

  return {
    port: listener.port,
    // Done only once the listener and every client connection are closed, not when closing starts.
    close: async () => {
      const closed = listener.closed();
      await new Promise<void>((resolve) => broker.close(() => resolve()));
      listener.destroyConnections();
      await closed;
    },
  };
}

function toBuffer(payload: string | Buffer): Buffer {
  return typeof payload === 'string' ? Buffer.from(payload) : payload;
}
