/**
 * Entry of the hub's own process (forked by hub-process.ts), so the hub's memory and CPU are measured
 * apart from the clients'. Answers `{ type: 'rss' }` over IPC after a full GC (needs --expose-gc).
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startLocalHub } from '@iothub-reboot/local-hub';
import type { HubChildMessage, HubParentMessage } from './hub-messages';

async function main(): Promise<void> {
  const caDir = process.argv[2];
  if (caDir === undefined) throw new Error('usage: hub-child <dir for ca.pem>');
  const hub = await startLocalHub({ inMemory: true, mqttPort: 0, httpsPort: 0 });
  const caFile = join(caDir, 'ca.pem');
  await writeFile(caFile, hub.caPem);
  const send = (message: HubChildMessage) => process.send?.(message);
  process.on('message', (message: HubParentMessage) => {
    if (message.type === 'rss') {
      // Two passes: the first may only schedule finalizers that free more.
      global.gc?.();
      global.gc?.();
      send({ type: 'rss', rss: process.memoryUsage().rss });
    } else if (message.type === 'close') {
      void hub.close().then(() => process.disconnect());
    }
  });
  send({
    type: 'ready',
    mqttPort: hub.mqttPort,
    httpsPort: hub.httpsPort,
    caFile,
    serviceConnectionString: hub.serviceConnectionString(),
  });
}

main().catch((err: unknown) => {
  process.stderr.write(`hub could not start: ${(err as Error).message}\n`);
  process.exit(1);
});
