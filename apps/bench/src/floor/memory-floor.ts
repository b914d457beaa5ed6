#!/usr/bin/env node
/**
 * The memory floor of a connected device: the independent floor's bare aedes broker over TLS (no hub
 * logic, its own process, the hub's kind of certificate) holding `--connections` mqtt.js connections made
 * like the device SDK's (MQTT 3.1.1, clean session false, keep-alive 180 s, three subscriptions), and its
 * memory per connection after a full GC, set against the hub's own figure from the fleet scenario.
 *
 *   node apps/bench/dist/floor/memory-floor.js --connections 2000
 */
import { parseArgs } from 'node:util';
import { mapSettledWithLimit } from '@iothub-reboot/app-kit';
import mqtt from 'mqtt';
import { startFloorProcess } from './floor-process';

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { connections: { type: 'string', default: '2000' } } });
  const count = Number(values.connections);
  if (!Number.isSafeInteger(count) || count < 1) throw new Error('--connections must be a whole number ≥ 1');
  const floor = await startFloorProcess('ec', ['--expose-gc']);
  const clients: mqtt.MqttClient[] = [];
  try {
    const before = await floor.memory();
    await mapSettledWithLimit(
      Array.from({ length: count }, (_, i) => i),
      50,
      async (i) => {
        const client = await mqtt.connectAsync({
          protocol: 'mqtts',
          host: '127.0.0.1',
          port: floor.brokerPort,
          ca: floor.caPem,
          servername: 'localhost',
          protocolVersion: 4,
          clientId: `memory-floor-${i}`,
          clean: false,
          keepalive: 180,
          reconnectPeriod: 0,
        });
        clients.push(client);
        await client.subscribeAsync(['floor/a/#', 'floor/b/#', 'floor/c/#'], { qos: 1 });
      },
    );
    if (clients.length !== count) throw new Error(`only ${clients.length} of ${count} connected`);
    const after = await floor.memory();
    const perKb = (key: 'rss' | 'heapUsed' | 'external') =>
      ((after[key] - before[key]) / count / 1024).toFixed(1);
    process.stdout.write(
      `${JSON.stringify({
        connections: count,
        perConnectionKb: { rss: perKb('rss'), heapUsed: perKb('heapUsed'), external: perKb('external') },
      })}\n`,
    );
  } finally {
    await Promise.allSettled(clients.map((c) => c.endAsync()));
    await floor.stop();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`memory-floor: ${(err as Error).message}\n`);
  process.exit(1);
});
