/**
 * Entry of a hub in its own process (started by {@link startHubProcess}): for suites that kill the hub
 * like a crash, and for measuring its memory and CPU apart from its clients'. Options come as JSON in
 * argv[2]; it answers over IPC.
 */
import { startLocalHub } from '../hub';
import type { HubProcessMessage, HubProcessRequest, HubProcessStart } from './hub-process-messages';

async function main(): Promise<void> {
  const start = JSON.parse(process.argv[2] ?? '{}') as HubProcessStart;
  const hub = await startLocalHub({
    mqttPort: start.mqttPort,
    httpsPort: start.httpsPort,
    ...(start.dataDir === undefined ? { inMemory: true } : { dataDir: start.dataDir }),
  });
  const send = (message: HubProcessMessage) => process.send?.(message);
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    void hub.close().then(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('message', (message: HubProcessRequest) => {
    if (message.type === 'rss') {
      // Two passes when the process runs with --expose-gc: the first may only schedule finalizers.
      global.gc?.();
      global.gc?.();
      const { rss, heapUsed, external, arrayBuffers } = process.memoryUsage();
      send({ type: 'rss', rss, heapUsed, external, arrayBuffers });
    } else if (message.type === 'stop') stop();
  });
  send({
    type: 'ready',
    mqttPort: hub.mqttPort,
    httpsPort: hub.httpsPort,
    caPem: hub.caPem,
    serviceConnectionString: hub.serviceConnectionString(),
  });
}

main().catch((err: unknown) => {
  process.stderr.write(`the hub could not start: ${(err as Error).message}\n`);
  process.exit(1);
});
