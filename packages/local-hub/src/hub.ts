import { join } from 'node:path';
import type { PolicyName } from './auth/policies';
import { loadOrCreateCertificates } from './certificates';
import { type LocalHubOptions, resolveConfig } from './config';
import { writeConnectionFile } from './connection-file';
import { deviceConnectionString, serviceConnectionString } from './connection-strings';
import { settledWithin } from './deadline';
import { JobRepository } from './jobs/repository';
import { JobService } from './jobs/service';
import { MethodInvoker } from './methods/invoker';
import { startMqttServer } from './mqtt/broker';
import { pushDesiredPatch } from './mqtt/desired-push';
import { mqttMethodTransport } from './mqtt/method-transport';
import { DeviceSessions } from './mqtt/sessions';
import { TelemetryCounter } from './mqtt/telemetry';
import { METHODS_FILTER } from './mqtt/topics';
import { MemoryBackend, type StorageBackend } from './persistence/backend';
import { FileBackend } from './persistence/file-backend';
import { HubStore } from './persistence/store';
import { executeQuery } from './query';
import { type DeviceInput, type DeviceRecord, DeviceRegistry, type DeviceStatus } from './registry/devices';
import { TwinRegistry } from './registry/twins';
import type { RestContext } from './rest/handlers/context';
import { serviceTwinDocuments } from './rest/handlers/twins';
import { startRestServer } from './rest/server';

/** A device as the library API shows it, with its ready-made connection string. */
export interface LocalHubDevice {
  deviceId: string;
  status: DeviceStatus;
  primaryKey: string;
  secondaryKey: string;
  connectionState: 'Connected' | 'Disconnected';
  /** Primary-key connection string pointing at this hub's MQTT port. */
  connectionString: string;
}

/** A running local hub. */
export interface LocalHub {
  hostName: string;
  mqttPort: number;
  httpsPort: number;
  /** PEM of the CA that signed the server certificate: what clients must trust. */
  caPem: string;
  /** Path of that CA on disk, or undefined in memory. */
  caFile: string | undefined;
  /** Path of `<dataDir>/connection.json`, or undefined in memory. */
  connectionFile: string | undefined;
  /** Connection string of a shared access policy, with GatewayHostName pointing at the HTTPS port. */
  serviceConnectionString(policy?: PolicyName): string;
  createDevice(deviceId: string, options?: DeviceInput): Promise<LocalHubDevice>;
  /** Throws when the device does not exist. */
  deviceConnectionString(deviceId: string): string;
  removeDevice(deviceId: string): Promise<void>;
  listDevices(): LocalHubDevice[];
  /** Connected and subscribed to direct methods: a method call would reach it now. */
  isDeviceSubscribedToMethods(deviceId: string): boolean;
  /** Resolves once the device is connected and subscribed to direct methods. */
  whenDeviceSubscribedToMethods(deviceId: string): Promise<void>;
  /** Device-to-cloud messages received (for one device, or all). */
  telemetryCount(deviceId?: string): number;
  /** Stops accepting, closes every connection, flushes state. */
  close(): Promise<void>;
}

/** Starts an IoT-Hub-compatible hub: device MQTT over TLS and the service REST API over HTTPS. */
export async function startLocalHub(options: LocalHubOptions = {}): Promise<LocalHub> {
  const config = resolveConfig(options);
  const logger = config.logger.child({ component: 'local-hub' });
  const certificates = await loadOrCreateCertificates(config.dataDir, [
    config.hostName,
    config.gatewayHost,
    config.bindAddress,
  ]);
  const backend: StorageBackend =
    config.storage ?? (config.dataDir ? new FileBackend(join(config.dataDir, 'state')) : new MemoryBackend());
  const store = await HubStore.open(backend, { compactAfter: config.compactAfter });

  const readyWaiters = new Map<string, Set<() => void>>();
  const sessions = new DeviceSessions(
    store,
    (deviceId) => {
      // Devices connect only once the MQTT server below is up, after `invoker` exists.
      invoker.deviceReady(deviceId);
      for (const resolve of readyWaiters.get(deviceId) ?? []) resolve();
      readyWaiters.delete(deviceId);
    },
    logger.child({ component: 'sessions' }),
  );
  const twins = new TwinRegistry(store, (deviceId, patch, version) =>
    pushDesiredPatch(sessions, deviceId, patch, version, logger),
  );
  const registry = new DeviceRegistry(store, {
    creating: (device) => twins.create(device.deviceId),
    removed: async (deviceId) => {
      await twins.remove(deviceId);
      await sessions.evict(deviceId, true);
    },
    updated: (device) => {
      if (device.status === 'disabled') void sessions.evict(device.deviceId, false);
    },
  });
  const invoker = new MethodInvoker(mqttMethodTransport(registry, sessions, logger));
  const jobs: JobService = new JobService(
    new JobRepository(store),
    {
      invokeMethod: (deviceId, request) => invoker.invoke(deviceId, request),
      async updateTwin(deviceId, update) {
        registry.require(deviceId);
        await twins.patchFromService(deviceId, update, '*');
      },
      selectDevices: (query) =>
        executeQuery(query, serviceTwinDocuments(restContext)).map((row) => String(row.deviceId)),
    },
    { logger: logger.child({ component: 'jobs' }) },
  );
  const restContext: RestContext = { registry, twins, sessions, invoker, jobs };
  const telemetry = new TelemetryCounter();
  const tls = { cert: certificates.serverCertPem, key: certificates.serverKeyPem };

  const mqtt = await startMqttServer({
    hostName: config.hostName,
    bindAddress: config.bindAddress,
    port: config.mqttPort,
    tls,
    policyKeys: config.policyKeys,
    registry,
    context: { twins, sessions, invoker, telemetry, logger: logger.child({ component: 'mqtt' }) },
    slowClientTimeoutMs: config.slowClientTimeoutMs,
    logger: logger.child({ component: 'mqtt' }),
  }).catch(async (err: unknown) => {
    await store.close();
    throw err;
  });
  const rest = await startRestServer({
    hostName: config.hostName,
    bindAddress: config.bindAddress,
    port: config.httpsPort,
    tls,
    policyKeys: config.policyKeys,
    context: restContext,
    slowClientTimeoutMs: config.slowClientTimeoutMs,
    logger: logger.child({ component: 'rest' }),
  }).catch(async (err: unknown) => {
    await mqtt.close();
    await store.close();
    throw err;
  });

  // Only now can resumed jobs reach devices (they reconnect to the MQTT server) and be asked about.
  await jobs.start().catch(async (err: unknown) => {
    await rest.close();
    await mqtt.close();
    await store.close();
    throw err;
  });

  const gateway = (port: number) => ({ host: config.gatewayHost, port });
  const deviceCs = (device: DeviceRecord) =>
    deviceConnectionString(config.hostName, device.deviceId, device.primaryKey, gateway(mqtt.port));
  const describe = (device: DeviceRecord): LocalHubDevice => ({
    deviceId: device.deviceId,
    status: device.status,
    primaryKey: device.primaryKey,
    secondaryKey: device.secondaryKey,
    connectionState: sessions.presenceOf(device.deviceId).connectionState,
    connectionString: deviceCs(device),
  });
  const serviceCs = (policy: PolicyName = 'iothubowner') =>
    serviceConnectionString(config.hostName, policy, config.policyKeys[policy], gateway(rest.port));

  const connectionFile =
    config.dataDir && certificates.caFile
      ? await writeConnectionFile(config.dataDir, {
          hostName: config.hostName,
          mqttPort: mqtt.port,
          httpsPort: rest.port,
          serviceConnectionString: serviceCs(),
          caFile: certificates.caFile,
        })
      : undefined;
  logger.info(
    { mqttPort: mqtt.port, httpsPort: rest.port, dataDir: config.dataDir ?? null },
    'local hub started',
  );

  let closing: Promise<void> | undefined;
  return {
    hostName: config.hostName,
    mqttPort: mqtt.port,
    httpsPort: rest.port,
    caPem: certificates.caPem,
    caFile: certificates.caFile,
    connectionFile,
    serviceConnectionString: serviceCs,
    createDevice: async (deviceId, input) => describe(await registry.create(deviceId, input)),
    deviceConnectionString: (deviceId) => deviceCs(registry.require(deviceId)),
    removeDevice: (deviceId) => registry.remove(deviceId),
    listDevices: () => registry.list().map(describe),
    isDeviceSubscribedToMethods: (deviceId) => sessions.isSubscribed(deviceId, METHODS_FILTER),
    whenDeviceSubscribedToMethods(deviceId) {
      if (sessions.isSubscribed(deviceId, METHODS_FILTER)) return Promise.resolve();
      return new Promise<void>((resolve) => {
        const waiters = readyWaiters.get(deviceId) ?? new Set();
        waiters.add(resolve);
        readyWaiters.set(deviceId, waiters);
      });
    },
    telemetryCount: (deviceId) => (deviceId === undefined ? telemetry.total() : telemetry.of(deviceId)),
    close() {
      closing ??= (async () => {
        const deadline = Date.now() + config.closeTimeoutMs;
        const bounded = async (what: string, work: Promise<void>) => {
          if (!(await settledWithin(work, deadline - Date.now())))
            logger.warn(
              { closeTimeoutMs: config.closeTimeoutMs },
              `close: ${what} cut short at the deadline`,
            );
        };
        jobs.stop();
        invoker.close();
        // Let the failed method calls write their 503 before the REST server drops its connections.
        await new Promise((resolve) => setImmediate(resolve));
        // Jobs store the outcome of the work that was in flight before the store closes.
        await bounded('job work in flight', jobs.idle());
        await bounded('REST server', rest.close());
        await bounded('MQTT server', mqtt.close());
        await store.close({ timeoutMs: Math.max(0, deadline - Date.now()) });
        logger.info('local hub stopped');
      })();
      return closing;
    },
  };
}
