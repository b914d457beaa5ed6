import { setMaxListeners } from 'node:events';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { createServer, type Server } from 'node:tls';
import { Aedes, type AuthenticateError, type Client } from 'aedes';
import type { Logger } from 'pino';
import { authenticateDevice } from '../auth/device-auth';
import { authenticateModule } from '../auth/module-auth';
import type { PolicyName } from '../auth/policies';
import { authenticateX509Device, peerCertificateChain } from '../auth/x509';
import type { HubThrottle } from '../quota/throttle';
import type { DeviceRegistry } from '../registry/devices';
import { parseIdentityKey } from '../registry/identity';
import type { ModuleRegistry } from '../registry/modules';
import { listenTls, type ServerTls, tlsServerOptions } from '../tls-listener';
import type { TrustAnchor } from '../x509/verify';
import type { ConnectionCredentials } from './credentials';
import { type DeviceMessageContext, dispatchDevicePublish, refuseTwinRequest } from './dispatch';
import { LogBudget } from './log-budget';
import { modelIdOf } from './model-id';
import { MqttPacketSizeMeter } from './packet-size';
import { retainlessPersistence } from './retainless-persistence';
import { isAllowedSubscription, isDeliverableTo, parseDevicePublish } from './topics';
import { holdBoundMs, TwinRequestGate } from './twin-request-gate';

export interface MqttServerOptions {
  hostName: string;
  bindAddress: string;
  port: number;
  tls: ServerTls;
  policyKeys: Readonly<Record<PolicyName, string>>;
  registry: DeviceRegistry;
  /** Module identities: a client id `<deviceId>/<moduleId>` connects as that module. */
  modules: ModuleRegistry;
  /** The verified CA certificates, read at each X.509 CONNECT (a deletion takes effect at once). */
  x509Anchors: () => readonly TrustAnchor[];
  context: DeviceMessageContext;
  /** IoT Hub's new-connection throttle (off unless the hub runs with a quota). */
  throttle: HubThrottle;
  /** Ends connections at token expiry and key regeneration. */
  credentials: ConnectionCredentials;
  /** Longest a client may take for its TLS handshake, then for its CONNECT packet. */
  slowClientTimeoutMs: number;
  logger: Logger;
}

export interface MqttServer {
  port: number;
  /**
   * Serves one more MQTT connection arriving on another transport (MQTT over WebSockets): the same broker,
   * so the same authentication, topic rules, limits and sessions as a connection to the TLS port.
   */
  handle(stream: Duplex, request?: IncomingMessage): void;
  /** Twin requests of this device held by backpressure now (see twin-request-gate). */
  heldTwinRequests(deviceId: string): number;
  /** Resolves once at least `count` of this device's twin requests are held. */
  whenTwinRequestsHeld(deviceId: string, count: number): Promise<void>;
  close(): Promise<void>;
}

/** MQTT 3.1.1 over TLS with IoT Hub's device rules, expressed as aedes hooks. */
export async function startMqttServer(options: MqttServerOptions): Promise<MqttServer> {
  const { context, registry, modules, logger, credentials } = options;
  const { sessions, twins } = context;
  /** Model ids announced in accepted CONNECTs, recorded in the twin once the client is ready. */
  const announcedModelIds = new WeakMap<Client, string>();
  const budget = new LogBudget();
  /** Warns about what a client sent, within its log budget. */
  const warn = (deviceId: string, fields: object, message: string) => {
    const allowed = budget.take(deviceId);
    if (allowed) logger.warn({ deviceId, ...fields, ...allowed }, message);
  };
  // Per connection, aborted when it goes: withdraws its traffic-shaped sends still waiting.
  const departed = new WeakMap<Client, AbortController>();
  const departureSignal = (client: Client): AbortSignal => {
    let controller = departed.get(client);
    if (!controller) {
      controller = new AbortController();
      // One listener per request waiting for the throttle: at most a backlog's worth, not a leak.
      setMaxListeners(0, controller.signal);
      departed.set(client, controller);
    }
    return controller.signal;
  };
  // Each client's CONNECT keep-alive (seconds): it bounds how long the gate may hold its packets.
  const keepAlives = new WeakMap<Client, number>();
  const gate = new TwinRequestGate<Client>();
  const broker = await Aedes.createBroker({
    connectTimeout: options.slowClientTimeoutMs,
    persistence: retainlessPersistence(),
    preConnect(client, packet, done) {
      keepAlives.set(client, packet.keepalive ?? 0);
      done(null, true);
    },
    authenticate(client, username, password, done) {
      const attempt = {
        hostName: options.hostName,
        clientId: client.id,
        username,
        password: password?.toString('utf8'),
        policyKeys: options.policyKeys,
        nowSeconds: Math.floor(Date.now() / 1000),
      };
      const { deviceId, moduleId } = parseIdentityKey(client.id);
      const device = registry.get(deviceId);
      // An X.509 device sends no password (azure-iot-mqtt-base passes cert and key to TLS instead).
      const x509 = device?.x509;
      const result =
        moduleId !== undefined
          ? authenticateModule({ ...attempt, device, module: modules.get(deviceId, moduleId) })
          : device && x509 && password === undefined
            ? authenticateX509Device({
                hostName: options.hostName,
                clientId: client.id,
                username,
                device: { ...device, x509 },
                // Over WebSockets the TLS socket is the upgrade request's; the MQTT stream is inside it.
                chain: peerCertificateChain(client.req?.socket ?? client.conn),
                anchors: options.x509Anchors(),
                now: new Date(),
              })
            : authenticateDevice({ ...attempt, device });
      if (result.ok && !options.throttle.tryTake('deviceConnections')) {
        // Over the new-connection rate: CONNACK 3 (server unavailable), which the device SDK retries with
        // backoff, where 4 and 5 would end its attempts. IoT Hub's quota page names no MQTT code for this
        // throttle; 3 is MQTT's own "try again later".
        warn(client.id, {}, 'device connection throttled');
        return done(Object.assign(new Error('Throttled'), { returnCode: 3 }) as AuthenticateError, null);
      }
      if (result.ok) {
        credentials.granted(client, result);
        const modelId = modelIdOf(username);
        if (modelId !== undefined) announcedModelIds.set(client, modelId);
        return done(null, true);
      }
      const allowed = budget.take(client.id);
      if (allowed)
        logger.info({ deviceId: client.id, reason: result.reason, ...allowed }, 'device connection refused');
      const error = Object.assign(new Error(result.reason), {
        returnCode: result.returnCode,
      }) as AuthenticateError;
      done(error, null);
    },
    authorizePublish(client, packet, done) {
      if (!client) return done(null);
      const message = parseDevicePublish(client.id, packet.topic);
      // A will is published on the device's behalf when it drops: IoT Hub delivers wills as telemetry
      // only ("Communicate with an IoT hub using the MQTT protocol"), never as a twin update or method
      // answer the device did not send.
      const isWill = packet === (client as { will?: unknown }).will;
      if (isWill && message?.kind !== 'telemetry') return done(new Error('Will refused'));
      if (!message) {
        // IoT Hub disconnects a device that publishes outside its own topics.
        warn(client.id, { topic: packet.topic.slice(0, 256) }, 'publish on a forbidden topic');
        return done(new Error('Publishing on this topic is not allowed'));
      }
      if (packet.qos === 2) {
        // "IoT Hub doesn't support QoS 2 messages. If a device app publishes a message with QoS 2, IoT
        // Hub closes the network connection" (Communicate with an IoT hub using the MQTT protocol).
        warn(client.id, {}, 'QoS 2 publish: connection closed');
        return done(new Error('QoS 2 is not supported'));
      }
      // IoT Hub never stores retained messages; aedes would keep one per topic for ever (memory a device
      // could grow without bound by varying its telemetry topic).
      packet.retain = false;
      if (message.kind === 'telemetry' && options.throttle.spec) {
        // Device-to-cloud sends under a quota are traffic-shaped: over the rate a send waits in the backlog
        // (its PUBACK, and this device's next packets, with it); when the backlog is full IoT Hub answers
        // 429002 ThrottleBacklogLimitExceeded, which over MQTT means it disconnects the device
        // (MicrosoftDocs/azure-docs#107838, confirmed by the IoT Hub team; MQTT has no per-publish error).
        // A device that disconnects withdraws its waiting sends: unacknowledged, they come again (QoS 1) or
        // are lost (QoS 0) as on IoT Hub, and must neither hold backlog places nor be counted twice.
        options.throttle.admit('deviceToCloudSends', 1, departureSignal(client)).then(
          () => {
            dispatchDevicePublish(context, client, client.id, message, toBuffer(packet.payload));
            done(null);
          },
          (err: Error) => {
            if (!departed.get(client)?.signal.aborted)
              warn(client.id, {}, 'device-to-cloud send throttled: device disconnected');
            done(err);
          },
        );
        return;
      }
      if (message.kind === 'twin-get' || message.kind === 'reported-patch') {
        // Backpressure: over its bound of twin requests in flight, the connection's packet is held, and
        // with it the reading of its socket (twin-request-gate).
        const payload = toBuffer(packet.payload);
        // Under a quota, twin requests are shaped too (dispatch.ts): a departure withdraws the waiting ones.
        const departure = options.throttle.spec ? departureSignal(client) : undefined;
        gate.submit(
          client,
          client.id,
          {
            start: (answered) =>
              dispatchDevicePublish(context, client, client.id, message, payload, answered, departure),
            refuse: () =>
              refuseTwinRequest(
                context,
                client,
                message.rid,
                'Too many twin requests for this device; retry later.',
              ),
            proceed: (err) => done(err ?? null),
          },
          holdBoundMs(keepAlives.get(client)),
        );
        return;
      }
      dispatchDevicePublish(context, client, client.id, message, toBuffer(packet.payload));
      done(null);
    },
    authorizeSubscribe(client, subscription, done) {
      // Refusals are logged once per SUBSCRIBE packet (the 'subscribe' event), not once per filter.
      if (!isAllowedSubscription(client.id, subscription.topic)) return done(null, null);
      // IoT Hub supports QoS 0 and 1 only.
      const granted = { ...subscription, qos: Math.min(subscription.qos, 1) as 0 | 1 };
      // The SUBACK waits for the session to be durable (aedes writes it once every filter's callback has
      // run, lib/handlers/subscribe.js), so a grant the device saw survives a crash of the hub. A filter
      // the store cannot write (full disk) is answered 0x80, not granted and not dropped with the
      // connection: the hub still serves reads then, and the device SDK subscribes to `$iothub/twin/res/#`
      // before every twin GET, so closing would cut off the reads too (src/e2e/full-disk-restart). The
      // catch: mqtt.js 4.3.8, which azure-iot-mqtt-base uses, hands a 0x80 SUBACK to its callback as a
      // success (lib/client.js, 'suback') and azure-iot-device-mqtt's `_setupSubscription` never looks at
      // the granted codes, so an SDK device refused its methods filter gets no method calls (404
      // DeviceNotOnline to the caller) until it reconnects, at the latest at its next token renewal.
      sessions.subscribe(client.id, [subscription.topic]).then(
        () => done(null, granted),
        (err: unknown) => {
          warn(client.id, { err, filter: subscription.topic }, 'subscription could not be stored: refused');
          done(null, null);
        },
      );
    },
    authorizeForward(client, packet) {
      return isDeliverableTo(client.id, packet.topic) ? packet : null;
    },
  });

  broker.on('clientReady', (client: Client) => {
    credentials.ready(client);
    sessions.connected(client.id, client);
    const modelId = announcedModelIds.get(client);
    if (modelId !== undefined) {
      twins
        .recordModelId(client.id, modelId)
        .catch((err: unknown) => logger.error({ err, deviceId: client.id }, 'could not record the model id'));
    }
  });
  broker.on('clientDisconnect', (client: Client) => {
    departed.get(client)?.abort(new Error('The device disconnected.'));
    gate.disconnected(client);
    credentials.gone(client);
    sessions.disconnected(client.id, client);
  });
  broker.on('subscribe', (subscriptions, client: Client) => {
    if (!client) return;
    const refused = subscriptions.filter((s) => (s.qos as number) === 128).map((s) => s.topic);
    if (refused.length > 0) {
      const sample = refused.slice(0, 3).map((filter) => filter.slice(0, 128));
      warn(client.id, { refused: refused.length, sample }, 'subscriptions refused');
    }
    const granted = subscriptions.filter((s) => (s.qos as number) !== 128).map((s) => s.topic);
    sessions.subscribed(client.id, granted);
  });
  broker.on('unsubscribe', (filters, client: Client) => {
    if (client) sessions.unsubscribed(client.id, filters);
  });
  broker.on('clientError', (client: Client, err) =>
    logger.debug({ err, deviceId: client.id }, 'client error'),
  );
  broker.on('connectionError', (_client, err) => logger.debug({ err }, 'connection error'));

  /** Every connection, whatever its transport, enters the broker here. */
  const handle = (stream: Duplex, request?: IncomingMessage) => {
    const client = broker.handle(stream, request);
    grantAtMostQos1(client);
    // Also for a connection aedes closes without 'clientDisconnect' (never authorised, or replaced).
    stream.once('close', () => gate.disconnected(client));
    // aedes reads with 'readable' + read(); a 'data' listener then only observes what it reads.
    const meter = new MqttPacketSizeMeter();
    stream.on('data', (chunk: Buffer) => {
      if (meter.push(chunk)) return;
      logger.warn('MQTT packet over the size limit: connection dropped');
      stream.destroy();
    });
  };
  const server: Server = createServer(
    {
      ...tlsServerOptions(options.tls, options.slowClientTimeoutMs),
      // Ask every client for a certificate, as IoT Hub's MQTT endpoint does, but let the handshake through
      // without one (SAS devices) or with one no system CA vouches for (self-signed devices): OpenSSL's
      // chain check is replaced, never just dropped, by the hub's own in authenticateX509Device, and a
      // certificate is worth nothing until that check accepts it for the device it claims.
      requestCert: true,
      rejectUnauthorized: false,
    },
    handle,
  );
  const listener = await listenTls(server, options.port, options.bindAddress, logger).catch(
    async (err: unknown) => {
      await new Promise<void>((resolve) => broker.close(() => resolve()));
      throw err;
    },
  );

  return {
    port: listener.port,
    handle,
    heldTwinRequests: (deviceId) => gate.held(deviceId),
    whenTwinRequestsHeld: (deviceId, count) => gate.whenHeld(deviceId, count),
    // Done only once the listener and every client connection are closed, not when closing starts.
    close: async () => {
      const closed = listener.closed();
      await new Promise<void>((resolve) => broker.close(() => resolve()));
      credentials.close();
      listener.destroyConnections();
      await closed;
    },
  };
}

/**
 * "When a device app subscribes to a topic with QoS 2, IoT Hub grants maximum QoS level 1 in the SUBACK
 * packet" (Communicate with an IoT hub using the MQTT protocol). aedes fills the SUBACK from the QoS the
 * client asked for, whatever authorizeSubscribe grants, so the request is lowered as it is parsed.
 * No public hook does this in aedes 1.2.0 (nor 2.0.0-beta.1, checked 2026-12): `doSubscribe` records the
 * requested QoS as granted in its `SubState` before `authorizeSubscribe` runs, and a sub returned with a
 * lower QoS changes only the delivery QoS, not the SUBACK (lib/handlers/subscribe.js); `preConnect` sees
 * only CONNECT and the 'subscribe' event follows the SUBACK; a stream wrapper around `handle()` would
 * parse every byte twice.
 */
function grantAtMostQos1(client: Client): void {
  const parser = (client as unknown as { _parser?: { prependListener?: unknown } })._parser;
  if (typeof parser?.prependListener !== 'function') {
    throw new Error('aedes changed: its client no longer exposes the MQTT parser the hub relies on');
  }
  (parser as NodeJS.EventEmitter).prependListener(
    'packet',
    (packet: { cmd?: string; subscriptions?: { qos: number }[] }) => {
      if (packet.cmd !== 'subscribe') return;
      for (const subscription of packet.subscriptions ?? []) subscription.qos = Math.min(subscription.qos, 1);
    },
  );
}

function toBuffer(payload: string | Buffer): Buffer {
  return typeof payload === 'string' ? Buffer.from(payload) : payload;
}
