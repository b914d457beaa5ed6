import { startTestHub } from '@iothub-reboot/local-hub/testing';

const t = await startTestHub(); // in memory, free ports; t.service has Registry, Client and JobClient
const device = await t.connectDevice('dev-1'); // creates the identity, opens an MQTT client trusting the CA
device.onDeviceMethod('reboot', (_req, res) => void res.send(200, { accepted: true }));
await t.hub.whenDeviceSubscribedToMethods('dev-1');
const { result } = await t.service.client.invokeDeviceMethod('dev-1', { methodName: 'reboot', payload: null });
console.log(result.status);
await t.close(); // every client it handed out, then the hub
