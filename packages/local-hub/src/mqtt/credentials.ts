import type { Client } from 'aedes';
import type { Logger } from 'pino';
import type { DeviceGrant } from '../auth/device-auth';
import type { DeviceRecord } from '../registry/devices';

/** What decides whether a connection may stay: the identity's keys, and for an X.509 device its x509 part. */
type Credentials = Pick<DeviceRecord, 'deviceId' | 'primaryKey' | 'secondaryKey' | 'x509'>;

/** setTimeout's longest delay; a later expiry is re-armed when it fires. */
const LONGEST_TIMER_MS = 2 ** 31 - 1;

interface Admitted {
  deviceId: string;
  grant: DeviceGrant;
  timer: NodeJS.Timeout | undefined;
}

/**
 * Ends MQTT connections whose credentials lapse, as IoT Hub does: at the SAS token's expiry ("Troubleshoot
 * error 401003 IoTHubUnauthorized": IoT Hub notices the expiration and disconnects the device; the SDK then
 * renews its token and reconnects), and when the device key that signed the token is regenerated or the
 * device key set changes (sessions on the old key must not outlive it).
 */
export class ConnectionCredentials {
  private readonly grants = new WeakMap<Client, DeviceGrant>();
  private readonly admitted = new Map<Client, Admitted>();

  constructor(
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  /** CONNECT accepted on `grant`; the connection is not ready yet. */
  granted(client: Client, grant: DeviceGrant): void {
    this.grants.set(client, grant);
  }

  /** The connection is ready: from now on it ends when its token expires. */
  ready(client: Client): void {
    const grant = this.grants.get(client);
    if (!grant) return;
    const entry: Admitted = { deviceId: client.id, grant, timer: undefined };
    this.admitted.set(client, entry);
    this.arm(client, entry);
  }

  gone(client: Client): void {
    const entry = this.admitted.get(client);
    if (entry) clearTimeout(entry.timer);
    this.admitted.delete(client);
  }

  /**
   * The device's keys may have changed: end its connections whose signing key it no longer has. For a
   * module, `deviceId` is its client id `<deviceId>/<moduleId>` and the keys are the module's.
   */
  deviceUpdated(device: Credentials): void {
    for (const [client, { deviceId, grant }] of this.admitted) {
      if (deviceId !== device.deviceId) continue;
      if (grant.x509 && !stillAccepts(device, grant.x509)) {
        this.end(client, 'its certificate is no longer registered');
        continue;
      }
      if (grant.deviceKey === undefined) continue;
      if (grant.deviceKey === device.primaryKey || grant.deviceKey === device.secondaryKey) continue;
      this.end(client, 'the key of its token was regenerated');
    }
  }

  /** A CA certificate was deleted or replaced: end the connections whose chain it vouched for. */
  caCertificateChanged(name: string): void {
    for (const [client, { grant }] of this.admitted) {
      if (grant.x509?.anchor === name) this.end(client, 'its CA certificate was deleted or replaced');
    }
  }

  close(): void {
    for (const client of [...this.admitted.keys()]) this.gone(client);
  }

  private arm(client: Client, entry: Admitted): void {
    const left = entry.grant.expiresAtSeconds * 1000 - this.now();
    if (left <= 0) {
      this.end(client, 'its token expired');
      return;
    }
    entry.timer = setTimeout(() => this.arm(client, entry), Math.min(left, LONGEST_TIMER_MS));
    // An expiry timer must not keep the process (or a test) alive on its own.
    entry.timer.unref();
  }

  private end(client: Client, reason: string): void {
    this.logger.info({ deviceId: client.id }, `device disconnected: ${reason}`);
    this.gone(client);
    client.close();
  }
}

/** The device's registration still covers an X.509 connection it accepted earlier. */
function stillAccepts(device: Credentials, granted: NonNullable<DeviceGrant['x509']>): boolean {
  const x509 = device.x509;
  if (!x509) return false;
  if (x509.type === 'certificateAuthority') return granted.anchor !== undefined;
  if (granted.anchor !== undefined) return false;
  return [x509.primaryThumbprint, x509.secondaryThumbprint].some(
    (registered) => registered !== null && granted.thumbprints.includes(registered.toUpperCase()),
  );
}
