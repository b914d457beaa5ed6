import { startTestHub, type TestHub } from '../testing';

describe('the remote-reboot flow with the real SDKs', () => {
  let t: TestHub;
  beforeAll(async () => {
    t = await startTestHub();
  });
  afterAll(() => t.close());

  it('invokes reboot on a device, which answers and reports its reboot time', async () => {
    const device = await t.connectDevice('reboot-1');
    const rebootTime = '2026-01-01T00:00:00.000Z';
    let reported!: Promise<void>;
    device.onDeviceMethod('reboot', (request, response) => {
      reported = (async () => {
        await response.send(200, { accepted: true, echo: request.payload });
        const twin = await device.getTwin();
        await new Promise<void>((resolve, reject) =>
          twin.properties.reported.update(
            { iothubDM: { reboot: { lastReboot: rebootTime } } },
            (err?: Error) => (err ? reject(err) : resolve()),
          ),
        );
      })();
    });
    await t.hub.whenDeviceSubscribedToMethods('reboot-1');

    const { result } = await t.service.client.invokeDeviceMethod('reboot-1', {
      methodName: 'reboot',
      payload: { delay: 1 },
      responseTimeoutInSeconds: 10,
    });
    expect(result).toEqual({ status: 200, payload: { accepted: true, echo: { delay: 1 } } });

    // The hub acknowledges a reported patch only once stored: the service then reads it back.
    await reported;
    const { responseBody: twin } = await t.service.registry.getTwin('reboot-1');
    expect(twin.properties.reported.iothubDM.reboot.lastReboot).toBe(rebootTime);
    expect((twin as unknown as { connectionState: string }).connectionState).toBe('Connected');
  });
});
