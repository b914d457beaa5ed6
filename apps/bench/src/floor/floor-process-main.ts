/**
 * Entry of the independent floor's process (started by {@link startFloorProcess}): the floor servers run
 * in a process of their own, as the hub does, so both pay the same process hop. argv[2] is the key type;
 * it answers `ready` over IPC and exits on `stop`.
 */
import { type FloorKeyType, startFloorServers } from './floor-servers';

async function main(): Promise<void> {
  const keyType: FloorKeyType = process.argv[2] === 'ec' ? 'ec' : 'rsa';
  const servers = await startFloorServers(keyType);
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    void servers.close().then(() => process.exit(0));
  };
  process.on('message', (message: { type?: string }) => {
    if (message.type === 'stop') stop();
    else if (message.type === 'memory') {
      // With --expose-gc (memory-floor.ts): two passes, the first may only schedule finalizers.
      global.gc?.();
      global.gc?.();
      const { rss, heapUsed, external } = process.memoryUsage();
      process.send?.({ type: 'memory', rss, heapUsed, external });
    }
  });
  // The bench died without stopping us: the IPC channel closes, and nothing else would end this process.
  process.on('disconnect', stop);
  process.send?.({
    type: 'ready',
    caPem: servers.caPem,
    echoPort: servers.echoPort,
    brokerPort: servers.brokerPort,
    httpsPort: servers.httpsPort,
  });
}

main().catch((err: unknown) => {
  process.stderr.write(`the floor servers could not start: ${(err as Error).message}\n`);
  process.exit(1);
});
