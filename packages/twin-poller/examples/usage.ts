import { createServiceClients } from '@iothub-reboot/service-connection';
import { pollQueryUntil, pollTwinUntilRebooted, rebootConfirmed, withCorrelationId } from '@iothub-reboot/twin-poller';

const { registry, client, close } = createServiceClients(process.env.IOTHUB_CONNECTION_STRING!, { ca: '.local-hub/ca.pem' });
const deviceId = process.env.IOTHUB_DEVICE_ID!;
const requestedAt = new Date();
const { payload, correlationId } = withCorrelationId(null); // { correlationId: 'reboot-<uuid>' }
await client.invokeDeviceMethod(deviceId, { methodName: 'rebootDevice', payload });
const { value, attempts } = await pollTwinUntilRebooted(registry, deviceId, {
  requestedAt, correlationId, confirmBy: 'auto', timeoutMs: 60_000,
}); // rejects with RebootFailedError when the device reports this request failed
console.log(`rebooted at ${value.rebootTime.toISOString()}, confirmed by ${value.confirmedBy} (${attempts} reads)`);
// a fleet (here the same one device): one twin query per page per round instead of one getTwin per device
const fleet = await pollQueryUntil({
  registry,
  deviceIds: [deviceId],
  predicate: rebootConfirmed({ requestedAt, correlationId }), // failed devices are done too (outcome 'failed')
});
console.log(`${fleet.value.done.length} confirmed, ${fleet.value.pending.length} pending`);
await close();
