/**
 * A fleet worker process: a share of the simulated devices, each a real `azure-iot-device` MQTT client
 * with the real reboot handler (report-then-respond, 0 s reboot). Connects with an adaptive limit,
 * records when each device connected and answered, and obeys the bench over IPC (see messages.ts).
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { createSecureContext, type SecureContext } from 'node:tls';
import {
  attachRebootHandler,
  type ConnectionKeeper,
  createFileRebootStore,
  createMemoryRebootStore,
  keepConnected,
  type RebootHandler,
  type RebootHandlerClient,
} from '@iothub-reboot/device-reboot-handler';
import { getAgentPlatformString } from 'azure-iot-common';
import { Client } from 'azure-iot-device';
import { Mqtt } from 'azure-iot-device-mqtt';
import { MqttBase } from 'azure-iot-mqtt-base';
import { AdaptiveLimit, forEachAdaptive } from './adaptive-limit';
import { floorConnect, type HeldFloorConnections, type MqttConnect } from './floor-connect';
import type { WorkerMessage, WorkerRequest, WorkerStart } from './messages';

const clients: Client[] = [];
const handlers: RebootHandler[] = [];
const keepers: ConnectionKeeper[] = [];
let heldFloor: HeldFloorConnections | undefined;
let answeredAt: number[] = [];
let reconnected: Array<[string, number]> = [];
const send = (message: WorkerMessage) => process.send?.(message);

/** The client as the handler sees it, with each answer's time noted once it was sent. */
function timingAnswers(client: Client): RebootHandlerClient {
  return {
    getTwin: () => client.getTwin(),
    on: (event, listener) => client.on(event, listener),
    removeListener: (event, listener) => client.removeListener(event, listener),
    onDeviceMethod: (name, callback) =>
      client.onDeviceMethod(name, (request, response) =>
        callback(request, {
          send: async (status, payload) => {
            await response.send(status, payload);
            answeredAt.push(Date.now());
          },
        }),
      ),
  };
}

/** The mqtt.js the device SDK itself loads (azure-iot-mqtt-base's own dependency, not the bench's). */
const sdkMqtt = createRequire(require.resolve('azure-iot-mqtt-base'))('mqtt') as MqttConnect;

/**
 * A device SDK transport whose TLS connections share one secure context holding the hub's CA. Given
 * only `ca` (`setOptions`), every connect of every client builds its own context from the PEM (and the
 * SDK first tries the PEM as a file path): a real device pays that once per connect on its own core, the
 * simulator thousands of times on the cores the hub shares (3,000 devices: connect ×0.92). The rest is
 * the SDK's own stack; the MqttBase argument is its seam for another MQTT provider (azure-iot-device-mqtt
 * `Mqtt` constructor), and the provider is the SDK's own mqtt.js with `secureContext` added.
 */
function sharedContextTransport(secureContext: SecureContext): typeof Mqtt {
  const provider = {
    connect: (uri: string, options: object) => sdkMqtt.connect(uri, { ...options, secureContext }),
  };
  return class SharedContextMqtt extends Mqtt {
    constructor(authenticationProvider: ConstructorParameters<typeof Mqtt>[0]) {
      super(authenticationProvider, new MqttBase(provider));
    }
  };
}

async function start(message: WorkerStart): Promise<void> {
  const connectedAt: number[] = [];
  const limiter = new AdaptiveLimit({ initial: 50, min: 16, max: 400 });
  const transport = sharedContextTransport(createSecureContext({ ca: message.caPem }));
  await forEachAdaptive(message.identities, limiter, async ({ deviceId, primaryKey }) => {
    const client = Client.fromConnectionString(
      `HostName=${message.hostName};DeviceId=${deviceId};SharedAccessKey=${primaryKey};GatewayHostName=127.0.0.1:${message.mqttPort}`,
      transport,
    );
    try {
      await client.open();
    } catch (err) {
      await client.close().catch(() => undefined);
      throw err;
    }
    connectedAt.push(Date.now());
    clients.push(client);
    // After a hub restart (the reconnect storm): the SDK retries a closed link itself and emits `connect`;
    // when it gives up, keepConnected reopens with the device library's own backoff, as firmware would.
    client.on('connect', () => reconnected.push([deviceId, Date.now()]));
    keepers.push(keepConnected(client));
    const store =
      message.store === 'file'
        ? createFileRebootStore(join(message.stateDir, `${encodeURIComponent(deviceId)}.pending-reboot.json`))
        : createMemoryRebootStore();
    handlers.push(attachRebootHandler(timingAnswers(client), { store, reboot: async () => undefined }));
    const { zeroWorkMethod } = message;
    if (zeroWorkMethod !== undefined) {
      // A failed send leaves the bench's call without its answer, and that call fails the run.
      client.onDeviceMethod(zeroWorkMethod, (_request, response) => {
        response.send(200, null).catch(() => undefined);
      });
    }
  });
  send({ type: 'connected', connectedAt, finalLimit: limiter.limit });
}

async function stop(): Promise<void> {
  await heldFloor?.close();
  await Promise.allSettled(keepers.map((k) => k.stop()));
  await Promise.allSettled(handlers.map((h) => h.detach()));
  await Promise.allSettled(clients.map((c) => c.close()));
  process.exit(0);
}

process.on('message', (message: WorkerRequest) => {
  if (message.type === 'start') {
    start(message).catch((err: unknown) => send({ type: 'failed', message: (err as Error).message }));
  } else if (message.type === 'floor-connect') {
    floorConnect({
      kind: message.kind,
      port: message.port,
      count: message.count,
      secureContext: createSecureContext({ ca: message.caPem }),
      mqtt: sdkMqtt,
      clientIdPrefix: `floor-${process.pid}-`,
    }).then(
      (held) => {
        heldFloor = held;
        send({ type: 'floor-connected', connectedAt: held.connectedAt });
      },
      (err: unknown) => send({ type: 'failed', message: `connect floor: ${(err as Error).message}` }),
    );
  } else if (message.type === 'floor-close') {
    const held = heldFloor;
    heldFloor = undefined;
    void (held?.close() ?? Promise.resolve()).then(() => send({ type: 'floor-closed' }));
  } else if (message.type === 'events') {
    send({ type: 'events', answeredAt, reconnected });
    answeredAt = [];
    reconnected = [];
  } else if (message.type === 'stop') void stop();
});
process.on('disconnect', () => void stop());
// Every client builds its user agent with getos (azure-iot-common's getAgentPlatformString), which on
// Debian runs `lsb_release -a` in a child process and caches the answer only once one finished: the first
// wave of concurrent connects would each spawn one (half a second of a worker's CPU in a 300-device
// connect profile). A device looks its OS up once; so does each worker here, before it says it is loaded.
getAgentPlatformString(() => send({ type: 'loaded' }));
