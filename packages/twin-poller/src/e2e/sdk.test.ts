// The pollers with the real azure-iothub Registry (through service-connection) against the local hub,
// and real azure-iot-device clients reporting their reboots over MQTT/TLS.
import { createServer } from 'node:net';
import { inspect } from 'node:util';
import { buildRebootReport, buildRebootStateReport, type LastReboot } from '@iothub-reboot/contracts';
import { type LocalHub, startTestHub, type TestHub } from '@iothub-reboot/local-hub/testing';
import { createServiceClients, type ServiceClients } from '@iothub-reboot/service-connection';
import type { Client as DeviceClient } from 'azure-iot-device';
import pino from 'pino';
import { rebootConfirmed } from '../confirm';
import { CapturedError, PollFatalError, PollTimeoutError } from '../errors';
import { type FleetProgress, pollQueryUntil } from '../fleet';
import { pollTwinUntilRebooted, rebootReportedAfter } from '../reboot';
import { reportProperties } from '../test-support/device-sdk';

const FAST = { intervalMs: 50, timeoutMs: 15_000, backoff: { initialMs: 20, maxMs: 100 } };

let t: TestHub;
let hub: LocalHub;
let service: ServiceClients;
const connect = (deviceId: string) => t.connectDevice(deviceId);

beforeAll(async () => {
  t = await startTestHub();
  ({ hub, service } = t);
});
afterAll(() => t.close());

describe('pollTwinUntilRebooted against the local hub', () => {
  it('waits past an earlier reboot for the one reported after the request', async () => {
    const device = await connect('reboot-single');
    await reportProperties(device, buildRebootReport(new Date(Date.now() - 3_600_000)));
    const requestedAt = new Date();
    let reported: Promise<void> | undefined;
    let rebootTime: Date | undefined;
    const result = await pollTwinUntilRebooted(service.registry, 'reboot-single', {
      ...FAST,
      requestedAt,
      clockSkewMs: 0,
      // The device reboots once the poller has seen the stale report.
      onAttempt: (report) => {
        if (report.outcome === 'not-yet' && !reported) {
          rebootTime = new Date(requestedAt.getTime() + 1);
          reported = reportProperties(device, buildRebootReport(rebootTime));
        }
      },
    });
    await reported;
    expect(result.value).toEqual({
      reported: true,
      rebootTime,
      source: 'rebootTime',
      writtenAt: expect.any(Date),
      outcome: 'rebooted',
      confirmedBy: 'device-clock',
    });
    expect(result.attempts).toBeGreaterThanOrEqual(2);
  });

  it('confirms by correlation id with a device clock an hour behind, where the device clock fails', async () => {
    const device = await connect('reboot-correlated');
    const requestedAt = new Date();
    const anHourAgo = new Date(requestedAt.getTime() - 3_600_000);
    await reportProperties(
      device,
      buildRebootReport(anHourAgo, { correlationId: 'svc-1', startedAt: anHourAgo }),
    );
    const byClock = await pollTwinUntilRebooted(service.registry, 'reboot-correlated', {
      ...FAST,
      maxAttempts: 2,
      requestedAt,
      confirmBy: 'device-clock',
    }).catch((e: unknown) => e);
    expect(byClock).toBeInstanceOf(PollTimeoutError);
    const result = await pollTwinUntilRebooted(service.registry, 'reboot-correlated', {
      ...FAST,
      requestedAt,
      confirmBy: 'device-clock',
      correlationId: 'svc-1',
    });
    expect(result.value).toMatchObject({ confirmedBy: 'correlation-id', rebootTime: anHourAgo });
    expect(result.attempts).toBe(1);
  });

  it('fails at once for a device the hub does not know', async () => {
    const error = await pollTwinUntilRebooted(service.registry, 'no-such-device', {
      ...FAST,
      requestedAt: new Date(),
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PollFatalError);
    expect(error).toMatchObject({ attempts: 1, cause: { name: 'DeviceNotFoundError', statusCode: 404 } });
  });

  it('fails at once on a wrong key, and neither the error nor the logs carry a signature', async () => {
    await hub.createDevice('reboot-auth');
    const wrongKey = Buffer.alloc(32, 1).toString('base64');
    const cs = hub.serviceConnectionString().replace(/SharedAccessKey=[^;]+/, `SharedAccessKey=${wrongKey}`);
    const intruder = createServiceClients(cs, { ca: hub.caPem });
    const lines: string[] = [];
    const logger = pino({ level: 'debug' }, { write: (line: string) => lines.push(line) });
    try {
      const error = await pollTwinUntilRebooted(intruder.registry, 'reboot-auth', {
        ...FAST,
        requestedAt: new Date(),
        logger,
      }).catch((e: unknown) => e);
      // What an application does with it: pino serializes the error and its cause.
      logger.error({ err: error }, 'reboot check failed');
      expect(error).toBeInstanceOf(PollFatalError);
      expect((error as PollFatalError).hint).toMatch(/refused the credentials/);
      // The SDK's error holds the HTTP request with its Authorization header; the kept cause must not.
      const everything = `${inspect(error, { depth: 8 })} ${lines.join('')}`;
      expect(everything).not.toMatch(/sig=/);
      expect(everything).not.toContain(wrongKey);
      expect((error as Error).cause).toBeInstanceOf(CapturedError);
    } finally {
      await intruder.close();
    }
  });

  it('retries a refused connection within the bound and reports it as the last error', async () => {
    const port = await closedPort();
    const cs = hub
      .serviceConnectionString()
      .replace(/GatewayHostName=[^;]+/, `GatewayHostName=127.0.0.1:${port}`);
    const unreachable = createServiceClients(cs, { ca: hub.caPem });
    try {
      const error = await pollTwinUntilRebooted(unreachable.registry, 'reboot-single', {
        ...FAST,
        maxAttempts: 3,
        requestedAt: new Date(),
      }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PollTimeoutError);
      expect(error).toMatchObject({ reason: 'attempts', attempts: 3, lastError: { code: 'ECONNREFUSED' } });
    } finally {
      await unreachable.close();
    }
  });
});

describe('pollQueryUntil against the local hub', () => {
  const ids = ['fleet-1', 'fleet-2', 'fleet-3'];

  it('follows the pages of a twin query until every device reported a new reboot', async () => {
    const clients = await Promise.all(ids.map(connect));
    const requestedAt = new Date();
    let reported: Promise<unknown> | undefined;
    const result = await pollQueryUntil({
      ...FAST,
      registry: service.registry,
      deviceIds: ids,
      pageSize: 2,
      predicate: rebootReportedAfter({ requestedAt, clockSkewMs: 0 }),
      onAttempt: (report) => {
        if (report.outcome === 'not-yet' && !reported) {
          const patch = buildRebootReport(new Date(requestedAt.getTime() + 5));
          reported = Promise.all(clients.map((c) => reportProperties(c, patch)));
        }
      },
    });
    await reported;
    expect(result.value.pending).toEqual([]);
    expect(result.value.done.map((d) => d.deviceId)).toEqual(ids);
    expect(result.attempts).toBeGreaterThanOrEqual(2);
  });

  it('a device that reports failed ends the fleet wait for it at once', async () => {
    const [good, bad] = await Promise.all(['fleet-ok', 'fleet-failed'].map(connect));
    const requestedAt = new Date();
    const criteria = { requestedAt, clockSkewMs: 0, correlationId: 'wave-1' };
    await reportProperties(
      bad as DeviceClient,
      buildRebootStateReport({
        status: 'failed',
        correlationId: 'wave-1',
        startedAt: requestedAt,
        reason: 'no',
      }),
    );
    let reported: Promise<void> | undefined;
    const result = await pollQueryUntil({
      ...FAST,
      maxAttempts: 100,
      registry: service.registry,
      deviceIds: ['fleet-ok', 'fleet-failed'],
      predicate: rebootConfirmed(criteria),
      onAttempt: (report) => {
        if (report.outcome !== 'not-yet') return;
        // The failed device is done from the first round; only the other is still waited for.
        expect(report.observation.pending.map((p) => p.deviceId)).toEqual(['fleet-ok']);
        reported ??= reportProperties(
          good as DeviceClient,
          buildRebootReport(new Date(), { correlationId: 'wave-1' }),
        );
      },
    });
    await reported;
    expect(result.value.done).toEqual([
      {
        deviceId: 'fleet-ok',
        value: expect.objectContaining({ outcome: 'rebooted', confirmedBy: 'correlation-id' }),
      },
      { deviceId: 'fleet-failed', value: expect.objectContaining({ outcome: 'failed', reason: 'no' }) },
    ]);
  });

  it('times out with the devices done and those still pending', async () => {
    const quick = await connect('fleet-quick');
    await hub.createDevice('fleet-silent');
    const requestedAt = new Date();
    await reportProperties(quick, buildRebootReport(new Date(requestedAt.getTime() + 5)));
    const error = await pollQueryUntil({
      ...FAST,
      maxAttempts: 2,
      registry: service.registry,
      deviceIds: ['fleet-quick', 'fleet-silent', 'fleet-absent'],
      predicate: rebootReportedAfter({ requestedAt, clockSkewMs: 0 }),
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PollTimeoutError);
    const progress = (error as PollTimeoutError<FleetProgress<LastReboot>>).lastObservation;
    expect(progress?.done.map((d) => d.deviceId)).toEqual(['fleet-quick']);
    expect(progress?.pending).toEqual([
      { deviceId: 'fleet-silent', reason: 'no reboot reported yet' },
      { deviceId: 'fleet-absent', reason: 'not returned by the query' },
    ]);
  });
});

/** A local port nothing listens on. */
function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}
