import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readLastRebootFromTwin } from '@iothub-reboot/contracts';
import { type LocalHub, startLocalHub } from '@iothub-reboot/local-hub';
import { createServiceClients } from '@iothub-reboot/service-connection';
import { Client } from 'azure-iot-device';
import { Mqtt } from 'azure-iot-device-mqtt';
import { attachRebootHandler } from '../handler';
import { captureLogger, deferred } from '../test-support/fake-client';

// The report-failed path with the real SDK: the hub goes away while the device reboots, so the report
// and the answer fail; when the hub is back the SDK reconnects and the owed report goes out.
describe('a twin report owed across a hub outage', () => {
  let directory: string;
  let hub: LocalHub | undefined;
  let device: Client | undefined;
  let closing = false;

  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'reboot-outage-'));
  });

  afterAll(async () => {
    closing = true;
    await device?.close();
    await hub?.close();
    await rm(directory, { recursive: true, force: true });
  });

  it('is sent when the client reconnects', async () => {
    const dataDir = join(directory, 'hub');
    hub = await startLocalHub({ dataDir, mqttPort: 0, httpsPort: 0 });
    const { mqttPort, httpsPort, caPem } = hub;
    await hub.createDevice('outage-1');
    device = Client.fromConnectionString(hub.deviceConnectionString('outage-1'), Mqtt);
    await device.setOptions({ ca: caPem });
    // The SDK keeps retrying a twin GET issued during the outage for up to 4 minutes, even after
    // close(), reconnecting on its own; short fixed waits, and no retry once the test is over.
    device.setRetryPolicy({ shouldRetry: () => !closing, nextRetryTimeout: () => 200 });
    await device.open();

    const { logger, waitFor } = captureLogger();
    const rebooting = deferred();
    const finishReboot = deferred();
    const handler = attachRebootHandler(device, {
      logger,
      retry: { maxAttempts: 2, initialDelayMs: 100, maxDelayMs: 100, callTimeoutMs: 1_000 },
      reboot: async () => {
        rebooting.resolve();
        await finishReboot.promise;
      },
    });
    await hub.whenDeviceSubscribedToMethods('outage-1');

    const service = createServiceClients(hub.serviceConnectionString(), { ca: caPem });
    const call = service.client
      .invokeDeviceMethod('outage-1', {
        methodName: 'rebootDevice',
        payload: {},
        responseTimeoutInSeconds: 30,
      })
      .then(
        () => 'answered',
        () => 'failed',
      );
    await rebooting.promise;
    await hub.close();
    hub = undefined;
    await expect(call).resolves.toBe('failed');
    await service.close();

    finishReboot.resolve();
    const owedLine = await waitFor('Reboot step failed');
    expect(owedLine).toMatchObject({ step: 'report' });
    await waitFor('Could not send the reboot method response');

    hub = await startLocalHub({ dataDir, mqttPort, httpsPort });
    const reported = await waitFor('Device twin updated with latest rebootTime');

    const after = createServiceClients(hub.serviceConnectionString(), { ca: hub.caPem });
    try {
      const { responseBody } = await after.registry.getTwin('outage-1');
      const last = readLastRebootFromTwin(responseBody);
      expect(last.reported && last.rebootTime.toISOString()).toBe(reported.rebootTime);
    } finally {
      await after.close();
    }
    await handler.detach();
  });
});
