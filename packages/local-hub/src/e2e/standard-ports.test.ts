import { Client as DeviceClient } from 'azure-iot-device';
import { Mqtt } from 'azure-iot-device-mqtt';
import { type LocalHub, startLocalHub } from '../hub';

// On MQTT's standard port the hub hands out IoT Hub's plain device connection string, and the unmodified
// SDK connects with it as it would to a real hub (HostName:8883). It needs port 8883: where another
// program holds it the test says so in one line, and fails in CI, where the port must be free.
describe('the plain device connection string on port 8883', () => {
  let hub: LocalHub | undefined;
  let device: DeviceClient | undefined;
  afterAll(async () => {
    await device?.close();
    await hub?.close();
  });

  it('has no GatewayHostName and connects the SDK unchanged', async () => {
    try {
      hub = await startLocalHub({ inMemory: true, mqttPort: 8883, httpsPort: 0 });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE' || process.env.CI) throw err;
      process.stderr.write(
        'standard-ports: port 8883 is in use here, so this test cannot run (it runs in CI)\n',
      );
      return;
    }
    const { connectionString } = await hub.createDevice('plain-1');
    expect(connectionString).toMatch(/^HostName=localhost;DeviceId=plain-1;SharedAccessKey=[^;]+$/);
    device = DeviceClient.fromConnectionString(connectionString, Mqtt);
    await device.setOptions({ ca: hub.caPem });
    await device.open();
    device.onDeviceMethod('ping', (_request, response) => void response.send(200, { pong: true }));
    await hub.whenDeviceSubscribedToMethods('plain-1');
    expect(hub.listDevices()[0]?.connectionState).toBe('Connected');
  });
});
