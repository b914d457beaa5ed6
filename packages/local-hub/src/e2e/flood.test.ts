import { mkdtempSync, rmSync } from 'node:fs';
import { Agent } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { LocalHub } from '../hub';
import { TWIN_REQUESTS_IN_FLIGHT } from '../mqtt/twin-request-gate';
import type { StorageBackend } from '../persistence/backend';
import { FileBackend } from '../persistence/file-backend';
import { measureWellBehaved, reportedUpdate, SharedCount } from '../test-support/flood-measure';
import { deviceToken } from '../test-support/raw-mqtt';
import { rawRequest } from '../test-support/rest-client';
import { startTestHub, type TestHub } from '../testing';

// Issue #21 item 6: one device flooding reported patches must not stall everyone. The hub bounds twin
// requests in flight per connection and holds the rest (backpressure, mqtt/twin-request-gate; sustained
// floods in e2e/backpressure), writes what changed rather than whole twins, and answers a well-behaved
// client between the flooder's windows of requests in flight. That is asserted as work, not time: the flood
// answers the hub writes while the well-behaved client waits for one of its own (the hub runs on this
// thread, so a slow or loaded machine slows both alike). Latency ratios against medians measured before the
// flood are printed, not asserted: they moved with the machine's other load.

const ROUNDS = 15;
/** ~31 KB of reported values: the flooding twin is as large as IoT Hub allows. */
const BIG_PATCH = Object.fromEntries(Array.from({ length: 290 }, (_, i) => [`key${i}`, 'x'.repeat(96)]));
/** Flood answers one well-behaved round trip may wait behind (median): a few windows in flight. */
const FAIR_SHARE = 16 * TWIN_REQUESTS_IN_FLIGHT;

/** Counts what the hub appends to its journal. */
function counting(inner: StorageBackend) {
  const counter = { bytes: 0 };
  const backend: StorageBackend = {
    load: () => inner.load(),
    append: async (lines) => {
      counter.bytes += Buffer.byteLength(lines);
      await inner.append(lines);
    },
    compact: (snapshot) => inner.compact(snapshot),
    close: () => inner.close(),
  };
  return { backend, counter };
}

/**
 * The flooding device, on a thread of its own: in the test's thread its own CPU (building 2,000 publishes
 * and parsing the answers) would slow the well-behaved client as much as the hub does. It sends bursts of
 * `burst` tiny reported patches, each burst answered in full, until told to stop, then reports the bytes it
 * sent and the statuses it got. It says 'flooding' at its first answer, and counts its answers in
 * `answers`.
 */
const FLOODER = `
const { parentPort, workerData } = require('node:worker_threads');
const mqtt = require(workerData.mqtt);
const client = mqtt.connect(workerData.url, { ...workerData.options, reconnectPeriod: 0 });
const answers = new Int32Array(workerData.answers);
let stop = false, sent = 0, rid = 0, waiting = 0, answered = 0;
const statuses = {};
parentPort.on('message', () => { stop = true; });
const burst = () => {
  if (stop) {
    client.end(true, () => parentPort.postMessage({ sent, statuses }));
    return;
  }
  waiting = workerData.burst;
  for (let i = 0; i < workerData.burst; i += 1) {
    const topic = '$iothub/twin/PATCH/properties/reported/?$rid=' + (rid += 1);
    const payload = JSON.stringify({ n: rid });
    sent += topic.length + payload.length;
    client.publish(topic, payload);
  }
};
client.on('message', (topic) => {
  const status = /^\\$iothub\\/twin\\/res\\/(\\d+)\\//.exec(topic)[1];
  statuses[status] = (statuses[status] || 0) + 1;
  Atomics.add(answers, 0, 1);
  if ((answered += 1) === 1) parentPort.postMessage('flooding');
  if (--waiting === 0) burst();
});
client.on('connect', () => client.subscribe('$iothub/twin/res/#', burst));
`;

function startFlooder(hub: LocalHub, deviceId: string, key: string, answers: SharedCount) {
  const worker = new Worker(FLOODER, {
    eval: true,
    workerData: {
      mqtt: require.resolve('mqtt'),
      url: `mqtts://127.0.0.1:${hub.mqttPort}`,
      burst: 2000,
      answers: answers.buffer,
      options: {
        ca: hub.caPem,
        clientId: deviceId,
        username: `${hub.hostName}/${deviceId}/?api-version=2021-04-12`,
        password: deviceToken(hub, deviceId, key),
        protocolVersion: 4,
      },
    },
  });
  const ready = new Promise<void>((resolve, reject) => {
    worker.once('message', () => resolve());
    worker.once('error', reject);
  });
  return {
    ready,
    stop: () =>
      new Promise<{ sent: number; statuses: Record<string, number> }>((resolve, reject) => {
        worker.once('message', resolve);
        worker.once('error', reject);
        worker.postMessage('stop');
      }).finally(() => worker.terminate()),
  };
}

describe('one device flooding twin updates', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hub-flood-'));
  let t: TestHub;
  const agent = new Agent({ keepAlive: true });
  const { backend, counter } = counting(new FileBackend(join(dir, 'state')));
  beforeAll(async () => {
    t = await startTestHub({ storage: backend });
  });
  afterAll(async () => {
    agent.destroy();
    await t.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('slows the flooding device, writes in proportion to the change, and answers others between windows of the bursts', async () => {
    const flooder = await t.hub.createDevice('flooder');
    const first = await t.connectDevice('flooder');
    await reportedUpdate(await first.getTwin(), BIG_PATCH);
    await first.close();

    const good = await t.connectDevice('good');
    const twin = await good.getTwin();
    const health = () => rawRequest(t.hub, 'GET', '/health', { agent, auth: null });
    const answers = new SharedCount();
    const measure = () => measureWellBehaved({ rounds: ROUNDS, twin, health, answers });
    await measure(); // warm-up: TLS sessions, JIT
    const normal = await measure();

    // Flood from another thread while measuring: bursts of 2,000 tiny patches, each answered in full.
    // Measured from the flooder's first answer: its burst is written, the hub is working on it.
    const flood = startFlooder(t.hub, 'flooder', flooder.primaryKey, answers);
    await flood.ready;
    const bytesBefore = counter.bytes;
    const during = await measure();
    const { sent, statuses: byStatus } = await flood.stop();
    const written = counter.bytes - bytesBefore;
    const statuses = new Map(Object.entries(byStatus).map(([s, n]) => [Number(s), n]));

    const ratios = { reported: during.reported / normal.reported, health: during.health / normal.health };
    // The figures of this run, quoted in the README (one line, as the reliability suites print theirs).
    process.stderr.write(
      `[figure] flood: ${[...statuses].map(([s, n]) => `${n}x${s}`).join(' ')}; journal ${written} B for ${sent} B ` +
        `received (${(written / sent).toFixed(2)}x); latency ratio reported ${ratios.reported.toFixed(1)}, ` +
        `health ${ratios.health.toFixed(1)}; flood answers per round trip reported ${during.floodPerReported}, ` +
        `health ${during.floodPerHealth}\n`,
    );
    // Slowed, not refused: over 16 in flight the flooder's packets are held (and its socket not read), so
    // every patch of a burst is accepted in turn.
    expect([...statuses.keys()]).toEqual([204]);
    // Journal growth in proportion to the change: ~200 B for each ~58 B patch received (3.3-3.7x); with
    // whole-twin entries (the code before #21) it was 801x.
    expect(written / sent).toBeLessThan(8);
    // And per accepted update of the 31 KB twin: a few hundred bytes, not the ~150 KB of the whole twin.
    expect(written / (statuses.get(204) ?? 1)).toBeLessThan(2048);
    // Taken in between the flooder's windows of requests in flight, not behind its whole burst of 2,000
    // (with the gate: 17-31 per reported patch, 1-14 per /health). Bursts answered in full do not tell the
    // gate apart by this count (bypassed, the burst's 429s are cheap: 2 and 0), the 429s above do; the
    // sustained flood of e2e/backpressure does.
    expect(during.floodPerReported).toBeLessThanOrEqual(FAIR_SHARE);
    expect(during.floodPerHealth).toBeLessThanOrEqual(FAIR_SHARE);
  });
});
