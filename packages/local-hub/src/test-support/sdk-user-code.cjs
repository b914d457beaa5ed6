// User code as the IoT Hub tutorials write it: the unmodified SDK constructors from connection strings,
// no options, no CA argument. Run by e2e/port-443.test.ts in a process of its own, so that the only thing
// pointing it at the local hub's CA is NODE_EXTRA_CA_CERTS (read by Node at start-up). Prints one JSON line.
'use strict';
const { Registry, Client, JobClient } = require('azure-iothub');
const { Client: DeviceClient } = require('azure-iot-device');
const { MqttWs } = require('azure-iot-device-mqtt');

async function main() {
  const serviceCs = process.env.SERVICE_CONNECTION_STRING;
  const hostName = /HostName=([^;]+)/.exec(serviceCs)[1];
  const deviceId = 'user-code-1';
  const registry = Registry.fromConnectionString(serviceCs);
  const client = Client.fromConnectionString(serviceCs);
  const jobs = JobClient.fromConnectionString(serviceCs);
  const { responseBody: created } = await registry.create({ deviceId });
  const deviceCs = `HostName=${hostName};DeviceId=${deviceId};SharedAccessKey=${created.authentication.symmetricKey.primaryKey}`;

  // The device: MQTT over WebSockets, which the SDK always dials on port 443 (mqtt_ws.js).
  const device = DeviceClient.fromConnectionString(deviceCs, MqttWs);
  await device.open();
  const twin = await device.getTwin();
  device.onDeviceMethod('reboot', (_request, response) => {
    // Report, then answer (the C# tutorial's order), so the service sees the report once it has the answer.
    twin.properties.reported.update({ iothubDM: { reboot: { lastReboot: new Date().toISOString() } } }, () =>
      response.send(200, { rebooting: true }),
    );
  });

  // The service: a direct method through Client, then the twin through Registry. The method call may race
  // the device's SUBSCRIBE: connectTimeoutInSeconds lets the hub wait for it (IoT Hub's own rule).
  const { result } = await client.invokeDeviceMethod(deviceId, {
    methodName: 'reboot',
    payload: null,
    connectTimeoutInSeconds: 10,
  });
  const { responseBody: afterReboot } = await registry.getTwin(deviceId);

  // Jobs: a twin update job on this one device.
  const jobId = `user-code-job-${Date.now()}`;
  const { jobStatus: job } = await jobs.scheduleTwinUpdate(jobId, `deviceId = '${deviceId}'`, {
    etag: '*',
    tags: { site: 'plant-443' },
  });
  const { jobStatus: fetched } = await jobs.getJob(jobId);

  await device.close();
  await client.close();
  process.stdout.write(
    `${JSON.stringify({
      method: result,
      lastReboot: afterReboot.properties.reported.iothubDM?.reboot?.lastReboot ?? null,
      connectionState: afterReboot.connectionState,
      job: { jobId: job.jobId, type: job.type, created: job.status, fetched: fetched.status },
    })}\n`,
  );
}

main().catch((err) => {
  // The message and the HTTP status only: an azure-iothub error also carries the request, SAS included.
  process.stderr.write(`${err.name}: ${err.message} ${err.response?.statusCode ?? ''}\n`);
  process.exit(1);
});
