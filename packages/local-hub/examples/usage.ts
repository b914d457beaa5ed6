import { startLocalHub } from '@iothub-reboot/local-hub';
import { createServiceClients } from '@iothub-reboot/service-connection';
import { Client } from 'azure-iot-device';
import { Mqtt } from 'azure-iot-device-mqtt';

const hub = await startLocalHub({ inMemory: true, mqttPort: 0, httpsPort: 0 }); // free ports, nothing on disk
const device = Client.fromConnectionString((await hub.createDevice('dev-1')).connectionString, Mqtt);
await device.setOptions({ ca: hub.caPem });
await device.open();
device.onDeviceMethod('reboot', (_req, res) => void res.send(200, { accepted: true }));
await hub.whenDeviceSubscribedToMethods('dev-1'); // no race with the device's SUBSCRIBE
const service = createServiceClients(hub.serviceConnectionString(), { ca: hub.caPem });
const { result } = await service.client.invokeDeviceMethod('dev-1', { methodName: 'reboot', payload: null });
console.log(result.status, result.payload); // 200 { accepted: true } (the whole response would include request headers)
await device.close(); await service.close(); await hub.close();
