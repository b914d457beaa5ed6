import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ChildApp, startChildApp } from '@iothub-reboot/app-kit';
import { REBOOT_METHOD_NAME, readRebootStateFromTwin } from '@iothub-reboot/contracts';
import { startTestHub, type TestHub } from '@iothub-reboot/local-hub/testing';
import { describeListeningOn } from '../test-support/needs-port';

const DEVICE_APP = join(__dirname, '..', '..', 'dist', 'main.js');
const describeOn443 = describeListeningOn(443, 'device app mqtt-ws');

// azure-iot-device-mqtt's MqttWs dials wss://<HostName>:443/$iothub/websocket and takes no port
// (mqtt_ws.js), so the device app's `--transport mqtt-ws` reaches the local hub only in its port-443 mode,
// where MQTT over WebSockets shares the HTTPS listener as on IoT Hub.
describeOn443('device app: --transport mqtt-ws against the local hub on 443', () => {
  let t: TestHub;
  let dir: string;
  let app: ChildApp | undefined;
  beforeAll(async () => {
    t = await startTestHub({ httpsPort: 443 });
    dir = await mkdtemp(join(tmpdir(), 'device-mqtt-ws-'));
  });
  afterAll(async () => {
    await app?.stop(2000);
    await t?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('connects over WebSockets, answers rebootDevice and reports the reboot with its correlation id', async () => {
    const { primaryKey } = await t.hub.createDevice('ws-device-1');
    const caFile = join(dir, 'ca.pem');
    await writeFile(caFile, t.hub.caPem);
    // IoT Hub's plain device string: a GatewayHostName with a port would break the SDK's WebSocket URL.
    const cs = `HostName=${t.hub.hostName};DeviceId=ws-device-1;SharedAccessKey=${primaryKey}`;
    app = startChildApp({
      label: '[device]',
      script: DEVICE_APP,
      args: [
        '--transport',
        'mqtt-ws',
        '--ca',
        caFile,
        '--reboot-seconds',
        '0',
        '--state-dir',
        join(dir, 'state'),
        '--log-level',
        'warn',
      ],
      env: { LOG_FORMAT: 'json', IOTHUB_DEVICE_CONNECTION_STRING: cs, NODE_EXTRA_CA_CERTS: '' },
      emit: () => undefined,
    });
    await t.hub.whenDeviceSubscribedToMethods('ws-device-1');
    const { result } = await t.service.client.invokeDeviceMethod('ws-device-1', {
      methodName: REBOOT_METHOD_NAME,
      payload: { correlationId: 'ws-reboot-1' },
      responseTimeoutInSeconds: 30,
    });
    expect(result).toMatchObject({ status: 200, payload: { result: 'rebooted' } });
    const { responseBody } = await t.service.registry.getTwin('ws-device-1');
    expect(readRebootStateFromTwin(responseBody)).toMatchObject({
      status: 'rebooted',
      correlationId: 'ws-reboot-1',
    });
    // Only WebSockets could have carried it: the string names no port, and the hub's MQTT/TLS listener is
    // on a free port, not 8883, which plain MQTT would have dialled.
    expect(t.hub.mqttPort).not.toBe(8883);
  });
});
