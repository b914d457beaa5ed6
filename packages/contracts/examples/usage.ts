import { readFileSync } from 'node:fs';
import { buildRebootReport, readLastReboot, rebootAnswer, safeParseRebootRequest } from '@iothub-reboot/contracts';
import { Client, type Twin } from 'azure-iot-device';
import { Mqtt } from 'azure-iot-device-mqtt';

// device: parse a method payload (absent, an object, or the object as a JSON string) and pick the answer
const request = safeParseRebootRequest('{"delaySeconds":0,"reason":"maintenance"}');
const answer = request.success
  ? rebootAnswer({ result: 'accepted', message: `rebooting: ${request.data.reason ?? 'no reason'}` })
  : rebootAnswer({ result: 'bad-request', error: request.error.message }); // → status 400
// (in a method handler: response.send(answer.status, answer.payload))

// report the reboot in the twin; reported.update takes a callback, not a promise
const device = Client.fromConnectionString(process.env.IOTHUB_DEVICE_CONNECTION_STRING!, Mqtt);
await device.setOptions({ ca: readFileSync('.local-hub/ca.pem', 'utf8') }); // the local hub's CA
await device.open();
const twin: Twin = await device.getTwin();
await new Promise<void>((resolve, reject) =>
  twin.properties.reported.update(buildRebootReport(new Date()), (err?: Error) => (err ? reject(err) : resolve())),
);
// service side: read the last reboot back from reported properties
const last = readLastReboot(twin.properties.reported); // { reported: true, rebootTime } | { reported: false, reason }
console.log(answer.status, last.reported ? last.rebootTime.toISOString() : last.reason);
await device.close();
