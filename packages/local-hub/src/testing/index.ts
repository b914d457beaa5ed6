/**
 * A test kit for suites that run against the local hub (jest, vitest, node:test alike):
 * `@iothub-reboot/local-hub/testing`.
 *
 * ```ts
 * const t = await startTestHub();                  // in memory, free ports, service clients ready
 * const device = await t.connectDevice('device-1');  // identity created, SDK client open over TLS
 * device.onDeviceMethod('reboot', (_req, res) => void res.send(200, { ok: true }));
 * await t.hub.whenDeviceSubscribedToMethods('device-1');
 * await t.service.client.invokeDeviceMethod('device-1', { methodName: 'reboot', payload: null });
 * await t.close();                                 // every client, then the hub
 * ```
 */
import { createServiceClients, type ServiceClients } from '@iothub-reboot/service-connection';
import { Client as DeviceClient, ModuleClient, X509AuthenticationProvider } from 'azure-iot-device';
import { Mqtt } from 'azure-iot-device-mqtt';
import type { PolicyName } from '../auth/policies';
import type { LocalHubOptions } from '../config';
import { type LocalHub, startLocalHub } from '../hub';

export type { ServiceClients } from '@iothub-reboot/service-connection';
export type { LocalHub, LocalHubDevice, LocalHubModule } from '../local-hub';
export {
  freePorts,
  type HubProcess,
  HubProcessError,
  type HubProcessMemory,
  type HubProcessOptions,
  startHubProcess,
} from './hub-process';
/** A throttle clock a test moves by hand (`quotaClock: clock.now, quotaTimers: clock`). */
export { ManualClock } from './manual-clock';
export { canListenOn, type FixedPortHold, holdFixedPort, isFixedPortHeld } from './privileged-port';

/** A device transport of azure-iot-device-mqtt: `Mqtt` (TLS) or `MqttWs` (WebSockets). */
export type DeviceTransport = typeof Mqtt;

/** A hub on free ports with service clients; every client it hands out is closed by `close()`. */
export interface TestHub {
  hub: LocalHub;
  /** azure-iothub Registry, Client and JobClient of the `iothubowner` policy, trusting the hub's CA. */
  service: ServiceClients;
  /** More service clients, for another shared access policy (closed with the hub). */
  serviceClients(policy: PolicyName): ServiceClients;
  /**
   * An azure-iot-device client (the hub's CA trusted), not yet opened: over MQTT, or over `MqttWs` from
   * azure-iot-device-mqtt, which always dials port 443 (a hub started with `httpsPort: 443`).
   */
  deviceClient(connectionString: string, transport?: DeviceTransport): Promise<DeviceClient>;
  /**
   * An unopened client for the hub's X.509 device `deviceId` with its certificate and key (PEM). The SDK
   * ignores `GatewayHostName` in an `x509=true` connection string (it dials HostName:8883), so on other
   * ports this builds the SDK's own `X509AuthenticationProvider` with the gateway instead.
   */
  x509DeviceClient(deviceId: string, x509: { cert: string; key: string }): Promise<DeviceClient>;
  /** Creates the device unless it exists, and opens an SDK client for it. */
  connectDevice(deviceId: string): Promise<DeviceClient>;
  /** An azure-iot-device ModuleClient over MQTT (the hub's CA trusted), not yet opened. */
  moduleClient(connectionString: string): Promise<ModuleClient>;
  /** Creates the device and module unless they exist, and opens a ModuleClient for the module. */
  connectModule(deviceId: string, moduleId: string): Promise<ModuleClient>;
  /** Closes every client handed out, then the hub. */
  close(): Promise<void>;
}

/** Starts an in-memory hub on free ports (override with `options`) and service clients for it. */
export async function startTestHub(options: LocalHubOptions = {}): Promise<TestHub> {
  const hub = await startLocalHub({ inMemory: true, mqttPort: 0, httpsPort: 0, ...options });
  const services: ServiceClients[] = [];
  const serviceClients = (policy: PolicyName) => {
    const clients = createServiceClients(hub.serviceConnectionString(policy), { ca: hub.caPem });
    services.push(clients);
    return clients;
  };
  const devices: DeviceClient[] = [];
  const deviceClient = async (connectionString: string, transport: DeviceTransport = Mqtt) => {
    const client = DeviceClient.fromConnectionString(connectionString, transport);
    devices.push(client);
    await client.setOptions({ ca: hub.caPem });
    return client;
  };
  const x509DeviceClient = async (deviceId: string, x509: { cert: string; key: string }) => {
    const gatewayHostName = /;GatewayHostName=([^;]+)/.exec(hub.deviceConnectionString(deviceId))?.[1];
    const provider = new X509AuthenticationProvider({
      host: hub.hostName,
      deviceId,
      ...(gatewayHostName ? { gatewayHostName } : {}),
      x509: { cert: x509.cert, key: x509.key },
    });
    const client = DeviceClient.fromAuthenticationProvider(provider, Mqtt);
    devices.push(client);
    await client.setOptions({ ca: hub.caPem, cert: x509.cert, key: x509.key });
    return client;
  };
  const modules: ModuleClient[] = [];
  const moduleClient = async (connectionString: string) => {
    const client = ModuleClient.fromConnectionString(connectionString, Mqtt);
    modules.push(client);
    await client.setOptions({ ca: hub.caPem });
    return client;
  };
  return {
    hub,
    service: serviceClients('iothubowner'),
    x509DeviceClient,
    moduleClient,
    async connectModule(deviceId, moduleId) {
      if (!hub.listDevices().some((d) => d.deviceId === deviceId)) await hub.createDevice(deviceId);
      let connectionString: string;
      try {
        connectionString = hub.moduleConnectionString(deviceId, moduleId);
      } catch {
        connectionString = (await hub.createModule(deviceId, moduleId)).connectionString;
      }
      const client = await moduleClient(connectionString);
      await client.open();
      return client;
    },
    serviceClients,
    deviceClient,
    async connectDevice(deviceId) {
      const device =
        hub.listDevices().find((d) => d.deviceId === deviceId) ?? (await hub.createDevice(deviceId));
      const client = await deviceClient(device.connectionString);
      await client.open();
      return client;
    },
    async close() {
      await Promise.allSettled([...devices, ...modules].map((d) => d.close()));
      await Promise.allSettled(services.map((s) => s.close()));
      await hub.close();
    },
  };
}
