import { mkdtempSync, rmSync } from 'node:fs';
import { Agent } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { LocalHub } from '../hub';
import { TWIN_REQUESTS_IN_FLIGHT } from '../mqtt/twin-request-gate';
import { FileBackend } from '../persistence/file-backend';
import { measureWellBehaved, SharedCount } from '../test-support/flood-measure';
import { deviceToken } from '../test-support/raw-mqtt';
import { rawRequest } from '../test-support/rest-client';
import { startTestHub, type TestHub } from '../testing';

// Issue #21 item 6: a well-behaved client is not stalled by one device's *sustained* flood. The flooding
// connection gets backpressure (mqtt/twin-request-gate): over 16 twin requests in flight its packets are
// held with aedes' `done`, so the hub stops reading its socket and TCP slows the flooder down; without it
// the hub reads the flood at full speed (cheap 429s) and everyone waits behind it. What is asserted is
// work, not time: how many flood answers the hub writes while the well-behaved client waits for one of its
// own. The hub runs on this thread, so a slow or loaded machine slows both alike. (A latency ratio against
// medians measured before the flood, asserted here until it failed at 10.8x on a loaded CI machine, moved
// with background load; it is still printed.)

const ROUNDS = 30;
/** Patches the flooder keeps unanswered: it sends one more for each answer it gets. */
const OUTSTANDING = 10_000;
/**
 * Flood answers one well-behaved round trip may wait behind (median): a few windows of the flooder's
 * requests in flight. Measured with the gate: 15-33 per reported patch, 0-15 per `/health`; with the gate
 * bypassed: 8,400-17,200 and 2,700-5,900.
 */
const FAIR_SHARE = 16 * TWIN_REQUESTS_IN_FLIGHT;

interface FloodResult {
  sent: number;
  statuses: Record<string, number>;
  /** Answers to a request id already answered, or never sent. */
  unexpected: number;
  /** The hub closed the flooder's connection before it had every answer. */
  closed: boolean;
}

/**
 * The flooding device, on a thread of its own (in the test's thread its CPU would slow the well-behaved
 * client as much as the hub does): a raw mqtt.js client that writes `outstanding` reported patches without
 * waiting, then one more for each answer, so that many stay unanswered. Told to stop, it sends no more,
 * waits for the answer to every patch it sent and reports what it got. It counts its answers in `answers`.
 */
const FLOODER = `
const { parentPort, workerData } = require('node:worker_threads');
const mqtt = require(workerData.mqtt);
const client = mqtt.connect(workerData.url, { ...workerData.options, reconnectPeriod: 0 });
const answers = new Int32Array(workerData.answers);
let stop = false, finished = false, rid = 0, unexpected = 0;
const pending = new Set();
const statuses = {};
const finish = (closed) => {
  if (finished) return;
  finished = true;
  const report = () => parentPort.postMessage({ sent: rid, statuses, unexpected, closed });
  if (closed) report(); else client.end(true, report);
};
const send = () => {
  rid += 1;
  pending.add(rid);
  client.publish('$iothub/twin/PATCH/properties/reported/?$rid=' + rid, JSON.stringify({ n: rid }));
};
parentPort.on('message', () => { stop = true; if (pending.size === 0) finish(false); });
client.on('message', (topic) => {
  if (pending.size === workerData.outstanding && rid === workerData.outstanding) parentPort.postMessage('flooding');
  const [, status, id] = /^\\$iothub\\/twin\\/res\\/(\\d+)\\/\\?\\$rid=(\\d+)/.exec(topic);
  statuses[status] = (statuses[status] || 0) + 1;
  if (!pending.delete(Number(id))) unexpected += 1;
  Atomics.add(answers, 0, 1);
  if (!stop) send();
  else if (pending.size === 0) finish(false);
});
client.on('close', () => finish(true));
client.on('connect', () => client.subscribe('$iothub/twin/res/#', () => {
  for (let i = 0; i < workerData.outstanding; i += 1) send();
}));
`;

function startFlooder(hub: LocalHub, deviceId: string, key: string, answers: SharedCount) {
  const worker = new Worker(FLOODER, {
    eval: true,
    workerData: {
      mqtt: require.resolve('mqtt'),
      url: `mqtts://127.0.0.1:${hub.mqttPort}`,
      outstanding: OUTSTANDING,
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
      new Promise<FloodResult>((resolve, reject) => {
        worker.once('message', resolve);
        worker.once('error', reject);
        worker.postMessage('stop');
      }).finally(() => worker.terminate()),
  };
}

describe('backpressure on a device that floods twin updates', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hub-backpressure-'));
  let t: TestHub;
  const agent = new Agent({ keepAlive: true });
  beforeAll(async () => {
    t = await startTestHub({ storage: new FileBackend(join(dir, 'state')) });
  });
  afterAll(async () => {
    agent.destroy();
    await t.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers a well-behaved device and /health between windows of the flood, and every flooded patch once', async () => {
    const flooder = await t.hub.createDevice('flooder');
    const good = await t.connectDevice('good');
    const twin = await good.getTwin();
    const health = () => rawRequest(t.hub, 'GET', '/health', { agent, auth: null });
    const reportedVersion = async () => {
      const response = await rawRequest(t.hub, 'GET', '/twins/flooder?api-version=2021-04-12', { agent });
      return (response.json as { properties: { reported: { $version: number } } }).properties.reported
        .$version;
    };
    const answers = new SharedCount();
    const measure = () => measureWellBehaved({ rounds: ROUNDS, twin, health, answers });
    await measure(); // warm-up: TLS sessions, JIT
    const normal = await measure();
    const versionBefore = await reportedVersion();

    const flood = startFlooder(t.hub, 'flooder', flooder.primaryKey, answers);
    // Measured from the flooder's first answer: all its patches are written, the hub is working on them.
    await flood.ready;
    const during = await measure();
    const result = await flood.stop();

    const ratios = { reported: during.reported / normal.reported, health: during.health / normal.health };
    process.stderr.write(
      `[figure] sustained flood (${OUTSTANDING} unanswered): ${JSON.stringify(result.statuses)} for ` +
        `${result.sent} sent; latency ratio reported ${ratios.reported.toFixed(1)} ` +
        `(${normal.reported.toFixed(1)} -> ${during.reported.toFixed(1)} ms), health ${ratios.health.toFixed(1)} ` +
        `(${normal.health.toFixed(1)} -> ${during.health.toFixed(1)} ms); flood answers per round trip ` +
        `reported ${during.floodPerReported}, health ${during.floodPerHealth}\n`,
    );
    // The hub took the well-behaved requests in between the flooder's windows of in-flight requests, not
    // behind everything the flooder had sent.
    expect(during.floodPerReported).toBeLessThanOrEqual(FAIR_SHARE);
    expect(during.floodPerHealth).toBeLessThanOrEqual(FAIR_SHARE);
    // Slowed, neither lost nor refused: every patch answered once, all applied.
    expect(result).toMatchObject({ closed: false, unexpected: 0, statuses: { 204: result.sent } });
    expect(Object.keys(result.statuses)).toEqual(['204']);
    expect((await reportedVersion()) - versionBefore).toBe(result.sent);
    expect(t.hub.heldTwinRequests('flooder')).toBe(0);
  });
});
