import { readLastRebootFromTwin, safeParseRebootResponse } from '@iothub-reboot/contracts';
import { startTestHub, type TestHub } from '@iothub-reboot/local-hub/testing';
import { attachRebootHandler } from '../handler';

// The README's claim that a ModuleClient works: the real azure-iot-device ModuleClient (MQTT over TLS, its
// own module keys) registers through `onMethod`, is invoked with Client.invokeDeviceMethod(deviceId,
// moduleId, …) and reports in the *module* twin, read back with Registry.getModuleTwin.
let t: TestHub;
beforeAll(async () => {
  t = await startTestHub();
});
afterAll(() => t.close());

describe('attachRebootHandler on a real ModuleClient', () => {
  it('reboots, reports in the module twin and answers through the local hub', async () => {
    const module = await t.connectModule('edge-box', 'rebooter');
    const reboot = jest.fn(async () => undefined);
    const handler = attachRebootHandler(module, { reboot });
    await t.hub.whenDeviceSubscribedToMethods('edge-box/rebooter');

    const { result } = await t.service.client.invokeDeviceMethod('edge-box', 'rebooter', {
      methodName: 'rebootDevice',
      payload: { reason: 'module test' },
      responseTimeoutInSeconds: 15,
    });
    const answer = result as { status: number; payload: unknown };
    expect(answer.status).toBe(200);
    const response = safeParseRebootResponse(answer.payload);
    expect(response.success && response.data.result).toBe('rebooted');
    expect(reboot).toHaveBeenCalledWith(expect.objectContaining({ payload: { reason: 'module test' } }));

    const { responseBody: moduleTwin } = await t.service.registry.getModuleTwin('edge-box', 'rebooter');
    const last = readLastRebootFromTwin(moduleTwin);
    expect(last.reported).toBe(true);
    if (last.reported && response.success && response.data.result === 'rebooted') {
      expect(last.rebootTime.toISOString()).toBe(response.data.rebootTime);
    }
    // The device's own twin is untouched: the module reported in its own twin.
    const { responseBody: deviceTwin } = await t.service.registry.getTwin('edge-box');
    expect(readLastRebootFromTwin(deviceTwin).reported).toBe(false);
    await handler.detach();
  });
});
