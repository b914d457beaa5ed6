import { join } from 'node:path';
import type { PolicyName } from './auth/policies';
import { loadOrCreateCertificates } from './certificates';
import { Closers } from './closers';
import { type LocalHubOptions, resolveConfig } from './config';
import { writeConnectionFile } from './connection-file';
import {
  deviceConnectionString,
  moduleConnectionString,
  serviceConnectionString,
  x509DeviceConnectionString,
} from './connection-strings';
import { ConnectionStates } from './connections/presence';
import { settledWithin } from './deadline';
import { HubEventBus } from './events/bus';
import { feedHubEvents } from './events/sources';
import { JobRepository } from './jobs/repository';
import { JobService } from './jobs/service';
import { type LocalHub, localHubFacade } from './local-hub';
import { MethodInvoker } from './methods/invoker';
import { startMqttServer } from './mqtt/broker';
import { ConnectionCredentials } from './mqtt/credentials';
import { pushDesiredPatch } from './mqtt/desired-push';
import { mqttMethodTransport } from './mqtt/method-transport';
import { DeviceSessions } from './mqtt/sessions';
import { TelemetryCounter } from './mqtt/telemetry';
import { mqttWebSocketUpgrade } from './mqtt/websocket';
import { VolatileBackend } from './persistence/backend';
import { FileBackend } from './persistence/file-backend';
import { executeQuery } from './query';
import { HubThrottle } from './quota/throttle';
import { type DeviceRecord, DeviceRegistry } from './registry/devices';
import { EDGE_SYSTEM_MODULES } from './registry/edge';
import { identityKey } from './registry/identity';
import { ModuleTwinViews } from './registry/module-twin-views';
import { type ModuleRecord, ModuleRegistry } from './registry/modules';
import { ServiceTwinViews } from './registry/twin-views';
import { TwinRegistry } from './registry/twins';
import { startRestServer } from './rest/server';
import { openHubState } from './state';
import { startViewServer } from './view/server';
import { CaCertificates } from './x509/ca-certificates';

export type { LocalHub, LocalHubDevice, LocalHubModule } from './local-hub';

/**
 * Starts an IoT-Hub-compatible hub: device MQTT over TLS, and on the HTTPS port the service REST API and
 * device MQTT over WebSockets.
 * The composition root: it reads top to bottom, each part built from the ones above it.
 */
export async function startLocalHub(options: LocalHubOptions = {}): Promise<LocalHub> {
  const config = resolveConfig(options);
  const logger = config.logger.child({ component: 'local-hub' });
  // close() and a failed start both give work in flight until this deadline, then cut it short.
  let deadline = Number.POSITIVE_INFINITY;
  const timeLeft = () => Math.max(0, deadline - Date.now());
  const bounded = async (what: string, work: Promise<void>) => {
    if (!(await settledWithin(work, timeLeft())))
      logger.warn({ closeTimeoutMs: config.closeTimeoutMs }, `close: ${what} cut short at the deadline`);
  };
  const closers = new Closers();
  const closeAll = async () => {
    deadline = Date.now() + config.closeTimeoutMs;
    await closers.closeAll((what, err) => logger.error({ err }, `close: ${what} failed`));
  };

  try {
    // The store first: its lock keeps a second hub on this data directory from going any further.
    const backend =
      config.storage ??
      (config.dataDir ? new FileBackend(join(config.dataDir, 'state')) : new VolatileBackend());
    const store = closers.add(
      'store',
      await openHubState(backend, {
        compactAfter: config.compactAfter,
        logger: logger.child({ component: 'store' }),
      }),
      (opened) => opened.close({ timeoutMs: timeLeft() }),
    );
    const certificates = await loadOrCreateCertificates(
      config.dataDir,
      [config.hostName, config.gatewayHost, config.bindAddress],
      new Date(),
      config.serverKeyType,
    );

    // Domain: who exists, what their twins hold, who is connected, how calls and jobs reach them.
    const presence = new ConnectionStates();
    const sessions = new DeviceSessions(store, presence, logger.child({ component: 'sessions' }));
    const twins = new TwinRegistry(store, (deviceId, patch, version) =>
      pushDesiredPatch(sessions, deviceId, patch, version, logger),
    );
    const credentials = new ConnectionCredentials(logger.child({ component: 'mqtt' }));
    const registry = new DeviceRegistry(store, {
      creating: (device) => twins.create(device.deviceId),
      // IoT Hub creates an IoT Edge device's two system module identities with it ("IoT Edge runtime:
      // $edgeAgent and $edgeHub"); the local hub registers them but runs neither.
      created: async (device) => {
        if (!device.iotEdge) return;
        for (const moduleId of EDGE_SYSTEM_MODULES)
          await modules.createSystemModule(device.deviceId, moduleId);
      },
      removed: async (deviceId) => {
        await twins.remove(deviceId);
        await sessions.evict(deviceId, true);
        await modules.removeAllOf(deviceId);
      },
      updated: (device) => {
        if (device.status === 'disabled') {
          void sessions.evict(device.deviceId, false);
          // A disabled device's modules cannot connect either (see authenticateModule).
          for (const module of modules.listOn(device.deviceId))
            void sessions.evict(identityKey(module.deviceId, module.moduleId), false);
        }
        credentials.deviceUpdated(device);
      },
    });
    const modules = new ModuleRegistry(store, registry, {
      creating: (module) => twins.create(module.deviceId, module.moduleId),
      removed: async (module) => {
        const key = identityKey(module.deviceId, module.moduleId);
        await twins.remove(key);
        await sessions.evict(key, true);
      },
      updated: (module) =>
        credentials.deviceUpdated({
          deviceId: identityKey(module.deviceId, module.moduleId),
          primaryKey: module.primaryKey,
          secondaryKey: module.secondaryKey,
        }),
    });
    // X.509 CA certificates: one deleted or replaced ends the connections it vouched for.
    const caCertificates = new CaCertificates(store, config.hostName, (name) =>
      credentials.caCertificateChanged(name),
    );
    const twinViews = new ServiceTwinViews(registry, twins, presence);
    const moduleTwinViews = new ModuleTwinViews(registry, modules, twins, presence);
    const invoker = new MethodInvoker(mqttMethodTransport(registry, modules, sessions, logger));
    const throttle = new HubThrottle(config.quota, config.quotaClock, config.quotaTimers);
    const jobs = new JobService(
      new JobRepository(store),
      {
        invokeMethod: (deviceId, request) => invoker.invoke(deviceId, request),
        async updateTwin(deviceId, update) {
          registry.require(deviceId);
          await twins.patchFromService(deviceId, update, '*');
        },
        selectDevices: (query) => executeQuery(query, twinViews.all()).map((row) => String(row.deviceId)),
      },
      {
        // "Jobs device operations (update twin, invoke direct method)": a job's work on its devices runs at
        // that rate under a quota ("IoT Hub quotas and throttling"), slowed rather than failed.
        pace: () => throttle.pace('jobDeviceOperations'),
        logger: logger.child({ component: 'jobs' }),
      },
    );
    const telemetry = new TelemetryCounter();

    // Transports.
    const tls = { cert: certificates.serverCertPem, key: certificates.serverKeyPem };
    const mqtt = closers.add(
      'MQTT server',
      await startMqttServer({
        hostName: config.hostName,
        bindAddress: config.bindAddress,
        port: config.mqttPort,
        tls,
        policyKeys: config.policyKeys,
        registry,
        modules,
        x509Anchors: () => caCertificates.anchors(),
        context: {
          twins,
          sessions,
          invoker,
          telemetry,
          throttle,
          logger: logger.child({ component: 'mqtt' }),
        },
        throttle,
        credentials,
        slowClientTimeoutMs: config.slowClientTimeoutMs,
        logger: logger.child({ component: 'mqtt' }),
      }),
      (server) => bounded('MQTT server', server.close()),
    );
    // What the REST handlers act on; the web view's actions go through the same handlers with it.
    const serviceContext = {
      registry,
      twins,
      twinViews,
      modules,
      moduleTwinViews,
      sessions,
      invoker,
      jobs,
      certificates: caCertificates,
    };
    const rest = closers.add(
      'REST server',
      await startRestServer({
        hostName: config.hostName,
        bindAddress: config.bindAddress,
        port: config.httpsPort,
        tls,
        policyKeys: config.policyKeys,
        context: serviceContext,
        slowClientTimeoutMs: config.slowClientTimeoutMs,
        throttle,
        // MQTT over WebSockets shares the HTTPS port, as on IoT Hub, and the one broker.
        upgrade: mqttWebSocketUpgrade(mqtt.handle, logger.child({ component: 'mqtt-ws' })),
        logger: logger.child({ component: 'rest' }),
      }),
      (server) => bounded('REST server', server.close()),
    );

    // Work: method calls and jobs stop first, so what was in flight is answered and stored before the
    // servers and the store close. Resumed jobs start only now, when devices can reconnect to the servers.
    closers.add('jobs and method calls', jobs, async () => {
      jobs.stop();
      // Work waiting for a throttle's turn is released (paced job work stops, shaped sends fail).
      throttle.close();
      invoker.close();
      // Let the failed method calls write their 503 before the REST server drops its connections.
      await new Promise((resolve) => setImmediate(resolve));
      await bounded('job work in flight', jobs.idle());
    });
    await jobs.start();

    const gateway = (port: number) => ({ host: config.gatewayHost, port });
    const deviceCs = (device: DeviceRecord) =>
      device.x509
        ? x509DeviceConnectionString(config.hostName, device.deviceId, gateway(mqtt.port))
        : deviceConnectionString(config.hostName, device.deviceId, device.primaryKey, gateway(mqtt.port));
    const moduleCs = (module: ModuleRecord) =>
      moduleConnectionString(
        config.hostName,
        module.deviceId,
        module.moduleId,
        module.primaryKey,
        gateway(mqtt.port),
      );

    // The web view (off unless asked for): its own loopback listener over the same services and events.
    const events = new HubEventBus();
    if (config.view) {
      const detach = feedHubEvents(events, { store, presence, invoker });
      closers.add('hub events', detach, async () => detach());
    }
    const view = config.view
      ? closers.add(
          'web view',
          await startViewServer({
            ...config.view,
            hostName: config.hostName,
            context: serviceContext,
            events,
            deviceConnectionString: deviceCs,
            moduleConnectionString: moduleCs,
            slowClientTimeoutMs: config.slowClientTimeoutMs,
            logger: logger.child({ component: 'view' }),
          }),
          (server) => bounded('web view', server.close()),
        )
      : undefined;

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
          }).catch((err: unknown) => {
            // A hub restarted on a full disk still serves (reads; writes answer 503 until space returns).
            const code = (err as NodeJS.ErrnoException).code;
            if (code !== 'ENOSPC' && code !== 'EDQUOT') throw err;
            logger.error({ code }, 'connection.json could not be written (disk full); it may name old ports');
            return undefined;
          })
        : undefined;
    logger.info(
      {
        mqttPort: mqtt.port,
        httpsPort: rest.port,
        dataDir: config.dataDir ?? null,
        quota: config.quota ? `${config.quota.tier}:${config.quota.units}` : 'off',
      },
      'local hub started',
    );

    let closing: Promise<void> | undefined;
    return localHubFacade({
      hostName: config.hostName,
      mqttPort: mqtt.port,
      httpsPort: rest.port,
      caPem: certificates.caPem,
      caFile: certificates.caFile,
      connectionFile,
      viewUrl: view?.url,
      registry,
      modules,
      sessions,
      presence,
      telemetry,
      throttle,
      heldTwinRequests: mqtt.heldTwinRequests,
      whenTwinRequestsHeld: mqtt.whenTwinRequestsHeld,
      serviceConnectionString: serviceCs,
      deviceConnectionString: deviceCs,
      moduleConnectionString: moduleCs,
      close: () => {
        closing ??= closeAll().then(() => logger.info('local hub stopped'));
        return closing;
      },
    });
  } catch (err) {
    await closeAll();
    throw err;
  }
}
