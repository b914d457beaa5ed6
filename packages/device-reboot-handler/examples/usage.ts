import { readFileSync } from 'node:fs';
import { attachRebootHandler, createFileRebootStore, keepConnected, openWithRetry, reportPendingReboot } from '@iothub-reboot/device-reboot-handler';
import { Client } from 'azure-iot-device';
import { Mqtt } from 'azure-iot-device-mqtt';
import pino from 'pino';

const logger = pino();
const stop = new AbortController(); // Ctrl-C, or the simulated restart below, ends the run
process.once('SIGINT', () => stop.abort());
const { signal } = stop;
const client = Client.fromConnectionString(process.env.IOTHUB_DEVICE_CONNECTION_STRING!, Mqtt);
await client.setOptions({ ca: readFileSync('.local-hub/ca.pem', 'utf8') }); // the local hub's CA; none for a real hub
await openWithRetry(client, { logger, signal }); // backoff with jitter; refused credentials reject
const store = createFileRebootStore('state/pending-reboot.json'); // the directory is created when the handler attaches
await reportPendingReboot(client, { store, logger }); // a restart that ended the last run is reported now
const restartDevice = async () => stop.abort(); // your restart; this example just ends
const handler = attachRebootHandler(client, { store, logger, reboot: restartDevice }); // reports, then answers 200
const keeper = keepConnected(client, { signal, logger, onReconnected: () => reportPendingReboot(client, { store, logger }) });
logger.info('waiting for rebootDevice');
await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
await keeper.stop(); await handler.detach(); await client.close(); // detach waits for the running request's answer
