import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  readLastRebootFromTwin,
  readRebootStateFromTwin,
  safeParseRebootResponse,
} from '@iothub-reboot/contracts';
import {
  type LocalHub,
  type ServiceClients,
  startTestHub,
  type TestHub,
} from '@iothub-reboot/local-hub/testing';
import type { Client } from 'azure-iot-device';
import { createFileRebootStore } from '../file-store';
import { attachRebootHandler, type RebootHandlerOptions } from '../handler';
import { reportPendingReboot } from '../startup';
import { deferred } from '../test-support/fake-client';

// The real device SDK (MQTT over TLS, hub CA verified) against the local hub, driven by the real
// service SDK: invokeDeviceMethod for the method, Registry.getTwin for the report.
let t: TestHub;
let hub: LocalHub;
let service: ServiceClients;

beforeAll(async () => {
  t = await startTestHub();
  ({ hub, service } = t);
});
afterAll(() => t.close());

/** Opens an SDK client for `deviceId` (created on first use) that trusts only the hub's CA. */
const openDevice = (deviceId: string): Promise<Client> => t.connectDevice(deviceId);

/** Opens a device and attaches the handler; resolves once a method call would reach it (no sleeping). */
async function deviceWithHandler(deviceId: string, options: RebootHandlerOptions) {
  const client = await openDevice(deviceId);
  const handler = attachRebootHandler(client, options);
  await hub.whenDeviceSubscribedToMethods(deviceId);
  return { client, handler };
}

function invokeReboot(deviceId: string, payload: unknown) {
  return service.client
    .invokeDeviceMethod(deviceId, { methodName: 'rebootDevice', payload, responseTimeoutInSeconds: 15 })
    .then(({ result }) => result as { status: number; payload: unknown });
}

async function reportedRebootTime(deviceId: string): Promise<string | undefined> {
  const { responseBody } = await service.registry.getTwin(deviceId);
  const last = readLastRebootFromTwin(responseBody);
  return last.reported ? last.rebootTime.toISOString() : undefined;
}

describe('with the real SDKs against the local hub', () => {
  it('report-then-respond: answers 200 with the reboot time the twin now holds', async () => {
    const reboot = jest.fn(async () => undefined);
    const { handler } = await deviceWithHandler('reboot-200', { reboot });
    const result = await invokeReboot('reboot-200', { reason: 'integration' });
    expect(result.status).toBe(200);
    const response = safeParseRebootResponse(result.payload);
    expect(response.success && response.data.result).toBe('rebooted');
    if (response.success && response.data.result === 'rebooted') {
      await expect(reportedRebootTime('reboot-200')).resolves.toBe(response.data.rebootTime);
    }
    expect(reboot).toHaveBeenCalledWith(expect.objectContaining({ payload: { reason: 'integration' } }));
    await handler.detach();
  });

  it('answers 400 to a payload outside the contract and does not reboot', async () => {
    const reboot = jest.fn(async () => undefined);
    const { handler } = await deviceWithHandler('reboot-400', { reboot });
    const result = await invokeReboot('reboot-400', { delaySeconds: 'later' });
    expect(result).toMatchObject({ status: 400, payload: { result: 'bad-request' } });
    expect(reboot).not.toHaveBeenCalled();
    await expect(reportedRebootTime('reboot-400')).resolves.toBeUndefined();
    await handler.detach();
  });

  it('answers 409 to a second request while the first reboot runs', async () => {
    const started = deferred();
    const release = deferred();
    const { handler } = await deviceWithHandler('reboot-409', {
      reboot: async () => {
        started.resolve();
        await release.promise;
      },
    });
    const first = invokeReboot('reboot-409', {});
    await started.promise;
    await expect(invokeReboot('reboot-409', {})).resolves.toMatchObject({
      status: 409,
      payload: { result: 'busy' },
    });
    release.resolve();
    await expect(first).resolves.toMatchObject({ status: 200 });
    await handler.detach();
  });

  it('respond-then-reboot: answers 202 at once, then reboots and reports', async () => {
    const release = deferred();
    const { handler } = await deviceWithHandler('reboot-202', {
      mode: 'respond-then-reboot',
      reboot: () => release.promise,
    });
    await expect(invokeReboot('reboot-202', {})).resolves.toMatchObject({
      status: 202,
      payload: { result: 'accepted' },
    });
    await expect(reportedRebootTime('reboot-202')).resolves.toBeUndefined();
    release.resolve();
    await handler.detach(); // resolves once the accepted reboot has been reported
    await expect(reportedRebootTime('reboot-202')).resolves.toEqual(expect.any(String));
  });

  it('respond-then-reboot: the twin shows rebooting, then rebooted, with the correlation id', async () => {
    const release = deferred();
    const started = deferred();
    const { handler } = await deviceWithHandler('reboot-state', {
      mode: 'respond-then-reboot',
      reboot: () => {
        started.resolve();
        return release.promise;
      },
    });
    await expect(invokeReboot('reboot-state', { correlationId: 'svc-42' })).resolves.toMatchObject({
      status: 202,
    });
    await started.promise; // the action starts only after the rebooting report was acknowledged
    const during = (await service.registry.getTwin('reboot-state')).responseBody;
    expect(readRebootStateFromTwin(during)).toMatchObject({
      known: true,
      status: 'rebooting',
      correlationId: 'svc-42',
    });
    release.resolve();
    await handler.detach();
    const after = (await service.registry.getTwin('reboot-state')).responseBody;
    expect(readRebootStateFromTwin(after)).toEqual({
      known: true,
      status: 'rebooted',
      correlationId: 'svc-42',
      startedAt: expect.any(Date),
      lastReboot: expect.any(Date),
    });
  });

  it('a failed reboot reports failed with the correlation id, and answers 500', async () => {
    const { handler } = await deviceWithHandler('reboot-failed', {
      reboot: async () => {
        throw new Error('watchdog refused; SharedAccessKey=c2VjcmV0');
      },
    });
    await expect(invokeReboot('reboot-failed', { correlationId: 'svc-43' })).resolves.toMatchObject({
      status: 500,
      payload: { result: 'reboot-failed' },
    });
    const { responseBody } = await service.registry.getTwin('reboot-failed');
    expect(readRebootStateFromTwin(responseBody)).toMatchObject({
      status: 'failed',
      correlationId: 'svc-43',
      reason: 'watchdog refused; SharedAccessKey=***',
    });
    expect(readLastRebootFromTwin(responseBody)).toMatchObject({ reported: false });
    await handler.detach();
  });

  it('a real restart: the next process reports the reboot from the file record, once', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'reboot-it-'));
    try {
      const path = join(directory, 'pending-reboot.json');
      const store = createFileRebootStore(path);
      const restarting = deferred();
      const before = await deviceWithHandler('reboot-restart', {
        mode: 'respond-then-reboot',
        store,
        // A real restart never returns: the process ends here.
        reboot: () => {
          restarting.resolve();
          return new Promise<void>(() => undefined);
        },
      });
      await expect(invokeReboot('reboot-restart', { correlationId: 'svc-restart' })).resolves.toMatchObject({
        status: 202,
      });
      await restarting.promise;
      await before.client.close();

      // The next process: a new client, and a new store object over the same file.
      const processStartedAt = new Date();
      const reopened = createFileRebootStore(path);
      const after = await openDevice('reboot-restart');
      await expect(reportPendingReboot(after, { store: reopened, processStartedAt })).resolves.toMatchObject({
        status: 'reported',
        recoveredFromRestart: true,
      });
      await expect(reportedRebootTime('reboot-restart')).resolves.toBe(processStartedAt.toISOString());
      const { responseBody } = await service.registry.getTwin('reboot-restart');
      expect(readRebootStateFromTwin(responseBody)).toMatchObject({
        status: 'rebooted',
        correlationId: 'svc-restart',
      });
      await expect(reportPendingReboot(after, { store: reopened, processStartedAt })).resolves.toEqual({
        status: 'none',
      });
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });
});
