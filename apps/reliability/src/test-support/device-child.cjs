// A device process for the crash test: node device-child.cjs, with DEVICE_CS, CA_FILE and STORE_PATH.
// Reports a reboot owed from an earlier run, then answers the reboot method (respond-then-reboot) with an
// action that never ends, so the test can kill the process mid-reboot. Prints one JSON line per step.
const { readFileSync } = require('node:fs');
const {
  attachRebootHandler,
  createFileRebootStore,
  reportPendingReboot,
} = require('@iothub-reboot/device-reboot-handler');
const { Client } = require('azure-iot-device');
const { Mqtt } = require('azure-iot-device-mqtt');

const say = (event, detail = {}) => process.stdout.write(`${JSON.stringify({ event, ...detail })}\n`);

async function main() {
  const client = Client.fromConnectionString(process.env.DEVICE_CS, Mqtt);
  // Installed before any await and kept (not `once`): a SIGTERM at any moment, or a second one, ends the
  // run cleanly with 0 instead of the default action (exit by signal).
  let handler;
  let stopping = false;
  process.on('SIGTERM', () => {
    if (stopping) return;
    stopping = true;
    void Promise.resolve(handler?.detach())
      .finally(() => client.close())
      .finally(() => process.exit(0));
  });
  await client.setOptions({ ca: readFileSync(process.env.CA_FILE, 'utf8') });
  await client.open();
  const store = createFileRebootStore(process.env.STORE_PATH);
  const outcome = await reportPendingReboot(client, { store });
  say('pending', { status: outcome.status, rebootTime: outcome.rebootTime });
  handler = attachRebootHandler(client, {
    store,
    mode: 'respond-then-reboot',
    reboot: () => {
      say('rebooting');
      return new Promise(() => undefined);
    },
  });
  say('ready');
}

main().catch((err) => {
  say('failed', { name: err?.name });
  process.exit(1);
});
