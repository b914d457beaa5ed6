import { mapSettledWithLimit } from '@iothub-reboot/app-kit';
import {
  attachRebootHandler,
  type Clock,
  type ConnectionKeeper,
  createMemoryRebootStore,
  keepConnected,
  type RebootHandler,
  type RetrySettings,
  reportPendingReboot,
} from '@iothub-reboot/device-reboot-handler';
import { ExponentialBackOffWithJitter } from 'azure-iot-common';
import { Client, type Twin } from 'azure-iot-device';
import { Mqtt } from 'azure-iot-device-mqtt';
import pino, { type Logger } from 'pino';

/** Options of {@link startDeviceFleet}. */
export interface DeviceFleetOptions {
  /** Key-based device connection strings (see `withGateway` to route them through a proxy). */
  connectionStrings: readonly string[];
  /** PEM of the hub's CA. */
  ca: string;
  /** MQTT keep-alive in seconds; the SDK's default is 180. Lower finds a dead link sooner. */
  keepaliveSeconds?: number;
  /** How long the simulated reboot takes; default 0. */
  rebootMs?: number;
  /** The devices' clock (for skew); default the system clock. */
  clock?: Clock;
  /** Devices connecting at once; default 25. */
  connectConcurrency?: number;
  /** Time allowed for one reported-property update to be acknowledged; default 10 s. */
  reportTimeoutMs?: number;
  /** The reboot handler's report retries (attempts, backoff); default the handler's own. */
  reportRetry?: Partial<RetrySettings>;
  logger?: Logger;
}

/** One simulated device: a real `azure-iot-device` client running the reboot handler. */
export interface FleetDevice {
  readonly deviceId: string;
  readonly client: Client;
  /** Reboots run, by the `callId` the caller put in the method payload (see `rebootPayload`). */
  readonly rebootsByCall: ReadonlyMap<string, number>;
  /** Reported-property patches the hub acknowledged, in order. */
  readonly acknowledged: readonly Record<string, unknown>[];
  /** Sends a reported-property patch; resolves `true` once acknowledged, `false` on failure or timeout. */
  report(patch: Record<string, unknown>): Promise<boolean>;
}

/** Devices started by {@link startDeviceFleet}. */
export interface DeviceFleet {
  readonly devices: readonly FleetDevice[];
  /** `callId`s that ran the reboot more than once on some device. */
  duplicateReboots(): string[];
  /** Total reboots run. */
  rebootCount(): number;
  /** Detaches the handlers and closes every client; the SDK's own retries stop. */
  close(): Promise<void>;
}

/** Thrown when some devices of a fleet could not connect. */
export class FleetStartError extends Error {
  override readonly name = 'FleetStartError';
}

/** The method payload that lets a fleet tell one service call from another. */
export function rebootPayload(callId: string): { reason: string; callId: string } {
  return { reason: 'reliability test', callId };
}

/** Connects every device (real SDK clients over MQTT/TLS), each answering the reboot method. */
export async function startDeviceFleet(options: DeviceFleetOptions): Promise<DeviceFleet> {
  const logger = (options.logger ?? pino({ level: 'silent' })).child({ component: 'device-fleet' });
  let closing = false;
  const started: { device: FleetDevice; handler: RebootHandler; keeper: ConnectionKeeper }[] = [];
  const all: Client[] = [];

  const startOne = async (connectionString: string) => {
    const client = Client.fromConnectionString(connectionString, Mqtt);
    all.push(client);
    // The SDK's own policy (exponential backoff with jitter), stopped at close: the SDK would otherwise
    // keep retrying twin operations for minutes after close().
    const policy = new ExponentialBackOffWithJitter();
    client.setRetryPolicy({
      shouldRetry: (err: Error) => !closing && policy.shouldRetry(err),
      nextRetryTimeout: (count: number, throttled: boolean) => policy.nextRetryTimeout(count, throttled),
    });
    await client.setOptions({
      ca: options.ca,
      ...(options.keepaliveSeconds === undefined ? {} : { keepalive: options.keepaliveSeconds }),
    });
    await client.open();
    const deviceId = deviceIdOf(connectionString);
    const log = logger.child({ deviceId });
    const device = createFleetDevice(deviceId, client, options.reportTimeoutMs ?? 10_000);
    const store = createMemoryRebootStore();
    // The SDK retries a link that closed, but gives up on one that failed with a socket error (a TCP
    // reset): it emits `disconnect` and stays down. keepConnected reopens it, as in apps/device.
    const keeper = keepConnected(client, {
      logger: log,
      backoff: { initialMs: 100, maxMs: 5_000 },
      onReconnected: () => reportPendingReboot(client, { store, logger: log }),
    });
    const handler = attachRebootHandler(client, {
      store,
      logger: log,
      ...(options.clock ? { clock: options.clock } : {}),
      ...(options.reportRetry ? { retry: options.reportRetry } : {}),
      reboot: async ({ payload }) => {
        const callId = typeof payload.callId === 'string' ? payload.callId : '(none)';
        device.countReboot(callId);
        if (options.rebootMs) await new Promise((resolve) => setTimeout(resolve, options.rebootMs));
      },
    });
    started.push({ device, handler, keeper });
  };

  const close = async () => {
    closing = true;
    await Promise.allSettled(started.map(({ keeper }) => keeper.stop()));
    await Promise.allSettled(started.map(({ handler }) => handler.detach()));
    await Promise.allSettled(all.map((client) => client.close()));
  };

  const results = await mapSettledWithLimit(
    options.connectionStrings,
    options.connectConcurrency ?? 25,
    startOne,
  );
  const failed = results.filter((result) => result.status === 'rejected');
  if (failed.length > 0) {
    await close();
    const first = failed[0] as PromiseRejectedResult;
    throw new FleetStartError(
      `${failed.length} of ${results.length} devices could not connect: ${errorName(first.reason)}`,
    );
  }
  const devices = started.map(({ device }) => device);
  return {
    devices,
    duplicateReboots: () =>
      devices.flatMap((d) =>
        [...d.rebootsByCall].filter(([, n]) => n > 1).map(([id]) => `${d.deviceId}/${id}`),
      ),
    rebootCount: () =>
      devices.reduce((sum, d) => sum + [...d.rebootsByCall.values()].reduce((a, b) => a + b, 0), 0),
    close,
  };
}

function createFleetDevice(
  deviceId: string,
  client: Client,
  reportTimeoutMs: number,
): FleetDevice & { countReboot(callId: string): void } {
  const rebootsByCall = new Map<string, number>();
  const acknowledged: Record<string, unknown>[] = [];
  let twin: Promise<Twin> | undefined;
  const update = async (patch: Record<string, unknown>) => {
    twin ??= client.getTwin().catch((err: unknown) => {
      twin = undefined;
      throw err;
    });
    const current = await twin;
    await new Promise<void>((resolve, reject) =>
      current.properties.reported.update(patch, (err?: Error) => (err ? reject(err) : resolve())),
    );
  };
  return {
    deviceId,
    client,
    rebootsByCall,
    acknowledged,
    countReboot: (callId) => rebootsByCall.set(callId, (rebootsByCall.get(callId) ?? 0) + 1),
    report: async (patch) => {
      // The SDK never times out a twin request; an update that never comes back is not acknowledged.
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<false>((resolve) => {
        timer = setTimeout(() => resolve(false), reportTimeoutMs);
      });
      const sent = update(patch).then(
        () => {
          acknowledged.push(patch);
          return true;
        },
        () => false,
      );
      try {
        return await Promise.race([sent, timeout]);
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

function deviceIdOf(connectionString: string): string {
  const part = connectionString.split(';').find((p) => p.startsWith('DeviceId='));
  if (!part) throw new FleetStartError('a connection string has no DeviceId');
  return part.slice('DeviceId='.length);
}

function errorName(reason: unknown): string {
  return reason instanceof Error ? `${reason.name}` : 'unknown error';
}
