import { type CpuProfile, categorize, mergePhaseProfiles, summarizeProfile } from './summary';

const frame = (functionName: string, url = '') => ({ functionName, url });

describe('categorize', () => {
  it.each([
    [frame('(garbage collector)'), 'GC'],
    [frame('(idle)'), 'idle'],
    [frame('(program)'), 'native (unattributed)'],
    [frame('parse'), 'JSON'],
    [frame('writev'), 'socket I/O'],
    [frame('getPeerCertificate'), 'TLS'],
    [frame('onStreamRead', 'node:internal/stream_base_commons'), 'socket I/O'],
    [frame('TLSSocket._init', 'node:_tls_wrap'), 'TLS'],
    [frame('Readable.read', 'node:internal/streams/readable'), 'streams'],
    [
      frame('x', '/w/node_modules/.pnpm/mqtt-packet@9.0.2/node_modules/mqtt-packet/parser.js'),
      'MQTT packets (mqtt-packet)',
    ],
    [frame('x', '/w/node_modules/.pnpm/aedes@1.2.0/node_modules/aedes/lib/client.js'), 'aedes'],
    [
      frame('x', '/w/node_modules/.pnpm/@azure+a@1/node_modules/@azure/core-util/dist/index.js'),
      '@azure/core-util',
    ],
    [frame('merge', 'file:///w/packages/local-hub/dist/twin/merge.js'), 'local-hub twin'],
    [frame('startLocalHub', '/w/packages/local-hub/dist/hub.js'), 'local-hub (top)'],
    [frame('attach', '/w/packages/device-reboot-handler/dist/handler.js'), 'device-reboot-handler'],
    [frame('fsync'), 'file system'],
    [frame('ChildProcess.spawn', 'node:internal/child_process'), 'child processes'],
    [frame('wrapSafe', 'node:internal/modules/cjs/loader'), 'module loading'],
    [frame('emit', 'node:events'), 'events'],
    [frame('processTicksAndRejections', 'node:internal/process/task_queues'), 'timers and ticks'],
    [frame('x', 'node:util'), 'node (other)'],
  ])('%j is %s', (f, category) => {
    expect(categorize(f)).toBe(category);
  });
});

/** A profile whose samples fall at 1000, 2000, … µs, one sample per entry of `frames`' indexes. */
function profile(sampleFrames: string[]): CpuProfile {
  const names = [...new Set(sampleFrames)];
  return {
    nodes: names.map((name, i) => ({ id: i + 1, callFrame: frame(name) })),
    startTime: 0,
    samples: sampleFrames.map((name) => names.indexOf(name) + 1),
    timeDeltas: sampleFrames.map(() => 1000),
  };
}

describe('summarizeProfile', () => {
  it('counts each sample until the next in the phase it falls in, idle left out of busy', () => {
    // Samples at 1, 2, …, 6 ms; each lasts 1 ms (the last one 0: nothing follows it).
    const p = profile(['parse', '(garbage collector)', '(idle)', 'writev', 'writev', 'parse']);
    const [connect, fanOut] = summarizeProfile(p, [
      { phase: 'connect', startUs: 0, endUs: 3500 },
      { phase: 'fan-out', startUs: 3500, endUs: 10_000 },
    ]);
    expect(connect).toEqual({
      phase: 'connect',
      wallMs: 3.5,
      busyMs: 2,
      categories: [
        { category: 'JSON', ms: 1, share: 1 / 3.5 },
        { category: 'GC', ms: 1, share: 1 / 3.5 },
      ],
    });
    expect(fanOut?.busyMs).toBe(2);
    expect(fanOut?.categories[0]).toEqual({ category: 'socket I/O', ms: 2, share: 2 / 6.5 });
  });

  it('leaves out phases the profile does not reach (a process that had exited or not started)', () => {
    const p = profile(['parse', 'parse']);
    expect(summarizeProfile(p, [{ phase: 'later', startUs: 50_000, endUs: 60_000 }])).toEqual([]);
  });
});

describe('mergePhaseProfiles', () => {
  it('adds up phases of one name and recomputes shares over the summed wall time', () => {
    const merged = mergePhaseProfiles([
      { phase: 'job', wallMs: 10, busyMs: 4, categories: [{ category: 'TLS', ms: 4, share: 0.4 }] },
      { phase: 'connect', wallMs: 5, busyMs: 5, categories: [{ category: 'TLS', ms: 5, share: 1 }] },
      {
        phase: 'job',
        wallMs: 30,
        busyMs: 6,
        categories: [
          { category: 'GC', ms: 5, share: 5 / 30 },
          { category: 'TLS', ms: 1, share: 1 / 30 },
        ],
      },
    ]);
    expect(merged.map((m) => m.phase)).toEqual(['job', 'connect']);
    expect(merged[0]).toEqual({
      phase: 'job',
      wallMs: 40,
      busyMs: 10,
      categories: [
        { category: 'TLS', ms: 5, share: 5 / 40 },
        { category: 'GC', ms: 5, share: 5 / 40 },
      ],
    });
  });
});
