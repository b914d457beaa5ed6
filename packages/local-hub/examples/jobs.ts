import { startTestHub } from '@iothub-reboot/local-hub/testing';

const t = await startTestHub();
const device = await t.connectDevice('press-1');
device.onDeviceMethod('reboot', (_req, res) => void res.send(200, { accepted: true }));
await t.hub.whenDeviceSubscribedToMethods('press-1');
const { jobClient, registry } = t.service;
await registry.updateTwin('press-1', { tags: { site: 'plant-7' } }, '*');
await jobClient.scheduleDeviceMethod('reboot-plant-7', "tags.site = 'plant-7'", { methodName: 'reboot', payload: null });
let status = 'queued';
while (!['completed', 'failed', 'cancelled'].includes(status)) {
  await new Promise((resolve) => setTimeout(resolve, 200)); // a real job takes seconds: poll, do not spin
  status = (await jobClient.getJob('reboot-plant-7')).jobStatus.status; // jobStatus: the job document
}
const rows = await registry.createQuery("SELECT * FROM devices.jobs WHERE devices.jobs.jobId = 'reboot-plant-7'").next();
console.log(status, rows.result.map((r: { deviceId: string; status: string }) => `${r.deviceId} ${r.status}`));
await t.close();
