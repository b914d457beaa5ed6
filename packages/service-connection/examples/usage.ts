import { createServiceClients } from '@iothub-reboot/service-connection';

const cs = process.env.IOTHUB_CONNECTION_STRING!; // the local hub prints it and keeps it in .local-hub/connection.json
const hub = createServiceClients(cs, { ca: '.local-hub/ca.pem' }); // no `ca` for a real hub
const deviceId = process.env.IOTHUB_DEVICE_ID!;
const { responseBody: device } = await hub.registry.get(deviceId);
const { responseBody: twin } = await hub.registry.getTwin(deviceId);
console.log(device.deviceId, device.status, device.connectionState, `twin etag ${twin.etag}`);
await hub.close();
