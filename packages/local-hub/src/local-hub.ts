import type { PolicyName } from './auth/policies';
import type { ConnectionStates } from './connections/presence';
import type { DeviceSessions } from './mqtt/sessions';
import type { TelemetryCounter } from './mqtt/telemetry';
import { METHODS_FILTER } from './mqtt/topics';
import type { OperationClass } from './quota/rates';
import type { HubThrottle } from './quota/throttle';
import type { DeviceInput, DeviceRecord, DeviceRegistry, DeviceStatus } from './registry/devices';
import type { ModuleInput, ModuleRecord, ModuleRegistry } from './registry/modules';

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

/** A module identity as the library API shows it, with its ready-made connection string. */
export interface LocalHubModule {
  deviceId: string;
  moduleId: string;
  primaryKey: string;
  secondaryKey: string;
  /** Primary-key connection string (`…;ModuleId=…`) pointing at this hub's MQTT port. */
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
  /** The web view's URL with this start's access token (a secret: print it, never log it); undefined when off. */
  viewUrl: string | undefined;
  /** Connection string of a shared access policy, with GatewayHostName pointing at the HTTPS port. */
  serviceConnectionString(policy?: PolicyName): string;
  createDevice(deviceId: string, options?: DeviceInput): Promise<LocalHubDevice>;
  /** Throws when the device does not exist. */
  deviceConnectionString(deviceId: string): string;
  removeDevice(deviceId: string): Promise<void>;
  /** Creates a module identity on an existing device. */
  createModule(deviceId: string, moduleId: string, options?: ModuleInput): Promise<LocalHubModule>;
  /** Throws when the device or module does not exist. */
  moduleConnectionString(deviceId: string, moduleId: string): string;
  listDevices(): LocalHubDevice[];
  /**
   * Connected and subscribed to direct methods: a method call would reach it now. For a module, pass
   * `<deviceId>/<moduleId>` (its MQTT client id), here and in `whenDeviceSubscribedToMethods`.
   */
  isDeviceSubscribedToMethods(deviceId: string): boolean;
  /** Resolves once the device is connected and subscribed to direct methods. */
  whenDeviceSubscribedToMethods(deviceId: string): Promise<void>;
  /** Device-to-cloud messages received (for one device, or all). */
  telemetryCount(deviceId?: string): number;
  /** Operations refused with 429 / CONNACK 3 so far, per IoT Hub throttle (all 0 without a quota). */
  throttledCounts(): Readonly<Record<OperationClass, number>>;
  /** Resolves when the hub next refuses an operation of this class over its throttle. */
  whenThrottled(operation: OperationClass): Promise<void>;
  /** Operations of this class waiting their turn under the quota (traffic-shaped requests, paced job work). */
  throttleBacklog(operation: OperationClass): number;
  /** Resolves once at least `length` operations of this class wait their turn. */
  whenThrottleBacklog(operation: OperationClass, length: number): Promise<void>;
  /** Resolves once at most `length` operations of this class wait their turn (e.g. a withdrawn one left). */
  whenThrottleBacklogAtMost(operation: OperationClass, length: number): Promise<void>;
  /**
   * A device's MQTT twin requests held by backpressure now: over 16 in flight its next requests wait, and
   * the hub stops reading its connection until one is answered.
   */
  heldTwinRequests(deviceId: string): number;
  /** Resolves once at least `count` of the device's twin requests are held. */
  whenTwinRequestsHeld(deviceId: string, count: number): Promise<void>;
  /**
   * Stops accepting, closes every connection, flushes state. Work still in flight after `closeTimeoutMs`
   * is cut short (failed, never acknowledged), so this always settles.
   */
  close(): Promise<void>;
}

/** What the façade is made of: the running hub's parts, wired by `startLocalHub`. */
export interface LocalHubParts
  extends Pick<
    LocalHub,
    | 'hostName'
    | 'mqttPort'
    | 'httpsPort'
    | 'caPem'
    | 'caFile'
    | 'connectionFile'
    | 'viewUrl'
    | 'serviceConnectionString'
    | 'heldTwinRequests'
    | 'whenTwinRequestsHeld'
    | 'close'
  > {
  registry: DeviceRegistry;
  modules: ModuleRegistry;
  sessions: DeviceSessions;
  presence: ConnectionStates;
  telemetry: TelemetryCounter;
  throttle: HubThrottle;
  deviceConnectionString(device: DeviceRecord): string;
  moduleConnectionString(module: ModuleRecord): string;
}

/** The public {@link LocalHub} over the hub's parts: nothing here but translation to the library API. */
export function localHubFacade(parts: LocalHubParts): LocalHub {
  const { registry, modules, sessions, presence, telemetry } = parts;
  const describeModule = (module: ModuleRecord): LocalHubModule => ({
    deviceId: module.deviceId,
    moduleId: module.moduleId,
    primaryKey: module.primaryKey,
    secondaryKey: module.secondaryKey,
    connectionString: parts.moduleConnectionString(module),
  });
  const describe = (device: DeviceRecord): LocalHubDevice => ({
    deviceId: device.deviceId,
    status: device.status,
    primaryKey: device.primaryKey,
    secondaryKey: device.secondaryKey,
    connectionState: presence.of(device.deviceId).connectionState,
    connectionString: parts.deviceConnectionString(device),
  });
  return {
    hostName: parts.hostName,
    mqttPort: parts.mqttPort,
    httpsPort: parts.httpsPort,
    caPem: parts.caPem,
    caFile: parts.caFile,
    connectionFile: parts.connectionFile,
    viewUrl: parts.viewUrl,
    serviceConnectionString: (policy) => parts.serviceConnectionString(policy),
    createDevice: async (deviceId, input) => describe(await registry.create(deviceId, input)),
    deviceConnectionString: (deviceId) => parts.deviceConnectionString(registry.require(deviceId)),
    removeDevice: (deviceId) => registry.remove(deviceId),
    createModule: async (deviceId, moduleId, input) =>
      describeModule(await modules.create(deviceId, moduleId, input)),
    moduleConnectionString: (deviceId, moduleId) =>
      parts.moduleConnectionString(modules.require(deviceId, moduleId)),
    listDevices: () => registry.list().map(describe),
    isDeviceSubscribedToMethods: (deviceId) => sessions.isSubscribed(deviceId, METHODS_FILTER),
    whenDeviceSubscribedToMethods: (deviceId) => sessions.whenSubscribed(deviceId, METHODS_FILTER),
    telemetryCount: (deviceId) => (deviceId === undefined ? telemetry.total() : telemetry.of(deviceId)),
    throttledCounts: () => parts.throttle.refusedCounts(),
    whenThrottled: (operation) => parts.throttle.nextRefusal(operation),
    throttleBacklog: (operation) => parts.throttle.backlog(operation),
    whenThrottleBacklog: (operation, length) => parts.throttle.whenBacklog(operation, length),
    whenThrottleBacklogAtMost: (operation, length) => parts.throttle.whenBacklogAtMost(operation, length),
    heldTwinRequests: (deviceId) => parts.heldTwinRequests(deviceId),
    whenTwinRequestsHeld: (deviceId, count) => parts.whenTwinRequestsHeld(deviceId, count),
    close: () => parts.close(),
  };
}
