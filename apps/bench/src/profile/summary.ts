/**
 * Splits V8 CPU profiles (`.cpuprofile`, as `node --cpu-prof` writes them) by phase and by what the time
 * was spent on. Pure: files are read in files.ts. A profile's `startTime` and `timeDeltas` are microseconds
 * of the machine's monotonic clock, the clock of `process.hrtime()`, which every process on the machine
 * shares, so phases marked in the bench's process cut the profiles of the hub and the workers too.
 */

/** The parts of a `.cpuprofile` the summary reads. */
export interface CpuProfile {
  nodes: ReadonlyArray<{ id: number; callFrame: { functionName: string; url: string } }>;
  startTime: number;
  samples: readonly number[];
  timeDeltas: readonly number[];
}

/** A phase of the run on the monotonic clock, in microseconds (`process.hrtime.bigint() / 1000n`). */
export interface PhaseWindow {
  phase: string;
  startUs: number;
  endUs: number;
}

/** One category's self time in a phase. */
export interface CategoryTime {
  category: string;
  ms: number;
  /** Of the phase's wall time (the process's own share of one core). */
  share: number;
}

/** What one process spent a phase on. */
export interface PhaseProfile {
  phase: string;
  wallMs: number;
  /** Sampled time not idle. */
  busyMs: number;
  /** Every category seen, largest first (idle left out). */
  categories: CategoryTime[];
}

/**
 * What a sample's own frame (its self time) belongs to: V8's pseudo frames, Node's TLS, sockets, streams,
 * HTTP, crypto, JSON, then packages by their path (the hub's code by its source folder, e.g. `twin`).
 */
export function categorize(frame: { functionName: string; url: string }): string {
  const { functionName: fn, url } = frame;
  if (fn === '(garbage collector)') return 'GC';
  if (fn === '(idle)') return 'idle';
  if (fn === '(program)') return 'native (unattributed)';
  if (fn === '(root)') return 'other';
  if (url === '') {
    // Native functions have no script; the ones that matter here are known by name.
    if (fn === 'parse' || fn === 'stringify') return 'JSON';
    if (/^(writev|writeBuffer|writeUtf8String|writeLatin1String|readStart|readStop|shutdown|close)$/.test(fn))
      return 'socket I/O';
    if (
      /Certificate|^(setKey|setCert|addCACert|init|start|loadSession|encIn|clearIn|receive|getSession)$/.test(
        fn,
      )
    )
      return 'TLS';
    if (/^(digest|update|Hmac|createHmac|randomBytes|sign|verify|timingSafeEqual)$/.test(fn)) return 'crypto';
    if (
      /^(fsync|fdatasync|open|read|write|writeFileUtf8|readFileUtf8|rename|stat|lstat|fstat|unlink|mkdir|readdir)$/.test(
        fn,
      )
    )
      return 'file system';
    if (/^(internalModuleStat|internalModuleReadJSON|compileFunction|compileFunctionForCJSLoader)$/.test(fn))
      return 'module loading';
    return 'native (other)';
  }
  const local =
    /\/local-hub\/(?:dist|src)\/([^/]+)\//.exec(url) ?? /\/local-hub\/(?:dist|src)\/()[^/]+$/.exec(url);
  if (local) return `local-hub ${local[1] || '(top)'}`;
  if (/_tls_|node:tls|internal\/tls\//.test(url)) return 'TLS';
  if (/node:net|internal\/stream_base_commons|internal\/net/.test(url)) return 'socket I/O';
  if (/internal\/streams\/|node:stream/.test(url)) return 'streams';
  if (/node:_http|node:https?|internal\/http/.test(url)) return 'HTTP';
  if (/internal\/crypto|node:crypto/.test(url)) return 'crypto';
  if (/child_process/.test(url)) return 'child processes';
  if (/internal\/modules\//.test(url)) return 'module loading';
  if (/node:fs|internal\/fs\//.test(url)) return 'file system';
  if (/node:events|internal\/event_target/.test(url)) return 'events';
  if (/internal\/timers|node:timers|internal\/process\/task_queues/.test(url)) return 'timers and ticks';
  if (/^node:/.test(url)) return 'node (other)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)\/(?!.*node_modules\/)/.exec(url);
  if (pkg) {
    const name = pkg[1] as string;
    if (name === 'mqtt-packet' || name === 'bl') return 'MQTT packets (mqtt-packet)';
    return name;
  }
  const workspace = /\/(?:packages|apps)\/([^/]+)\//.exec(url);
  if (workspace) return workspace[1] as string;
  return 'other';
}

/** Each phase's self time by category, for one profile; phases the profile does not cover are left out. */
export function summarizeProfile(profile: CpuProfile, windows: readonly PhaseWindow[]): PhaseProfile[] {
  const categoryOf = new Map<number, string>();
  for (const node of profile.nodes) categoryOf.set(node.id, categorize(node.callFrame));
  const perPhase = windows.map(() => new Map<string, number>());
  // Sample i is taken at startTime + Σ timeDeltas[0..i]; it stands for the time until the next one.
  let t = profile.startTime;
  const count = profile.samples.length;
  let first = Number.POSITIVE_INFINITY;
  let last = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < count; i++) {
    t += profile.timeDeltas[i] ?? 0;
    const span = profile.timeDeltas[i + 1] ?? 0;
    first = Math.min(first, t);
    last = Math.max(last, t + span);
    const category = categoryOf.get(profile.samples[i] as number) ?? 'other';
    windows.forEach((w, k) => {
      if (t >= w.startUs && t < w.endUs) {
        const bucket = perPhase[k] as Map<string, number>;
        bucket.set(category, (bucket.get(category) ?? 0) + span);
      }
    });
  }
  return windows.flatMap((w, k) => {
    if (count === 0 || last <= w.startUs || first >= w.endUs) return [];
    const wallMs = (w.endUs - w.startUs) / 1000;
    const bucket = perPhase[k] as Map<string, number>;
    const busy = [...bucket].filter(([category]) => category !== 'idle');
    const busyMs = busy.reduce((sum, [, us]) => sum + us, 0) / 1000;
    return [
      {
        phase: w.phase,
        wallMs,
        busyMs,
        categories: busy
          .sort((a, b) => b[1] - a[1])
          .map(([category, us]) => ({ category, ms: us / 1000, share: us / 1000 / wallMs })),
      },
    ];
  });
}

/**
 * Adds up phase profiles of the same name (a phase that ran once per fleet size, or processes of the same
 * role), shares recomputed over the summed wall time. Keeps the order in which phases first appear.
 */
export function mergePhaseProfiles(profiles: readonly PhaseProfile[]): PhaseProfile[] {
  const byPhase = new Map<string, { wallMs: number; busyMs: number; categories: Map<string, number> }>();
  for (const p of profiles) {
    const entry = byPhase.get(p.phase) ?? { wallMs: 0, busyMs: 0, categories: new Map<string, number>() };
    entry.wallMs += p.wallMs;
    entry.busyMs += p.busyMs;
    for (const c of p.categories)
      entry.categories.set(c.category, (entry.categories.get(c.category) ?? 0) + c.ms);
    byPhase.set(p.phase, entry);
  }
  return [...byPhase].map(([phase, e]) => ({
    phase,
    wallMs: e.wallMs,
    busyMs: e.busyMs,
    categories: [...e.categories]
      .sort((a, b) => b[1] - a[1])
      .map(([category, ms]) => ({ category, ms, share: ms / e.wallMs })),
  }));
}
