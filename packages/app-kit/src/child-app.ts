import { type ChildProcess, spawn } from 'node:child_process';
import { labelLines } from './labelled-lines';

/** An app running as its own Node.js process, its output labelled into ours. */
export interface ChildApp {
  readonly label: string;
  /** Resolves with the exit code (a signal maps to 128 + its number, as shells do). */
  readonly exited: Promise<number>;
  /** Every line printed so far (without the label), stdout and stderr interleaved as they arrived. */
  readonly lines: readonly string[];
  /** Resolves with the first line (past or future) matching `pattern`; rejects if the app exits first. */
  waitForLine(pattern: RegExp): Promise<string>;
  /** Asks the app to stop (SIGTERM), then kills it (SIGKILL) if it has not exited after `graceMs`. */
  stop(graceMs?: number): Promise<number>;
  /** Kills the app at once (SIGKILL), as a crash or a power cut would. */
  kill(): Promise<number>;
}

/** Options of {@link startChildApp}. */
export interface ChildAppOptions {
  label: string;
  /** The script to run (or, with `nodeArgs: ['-e']`, the code). */
  script: string;
  args?: readonly string[];
  /** Node.js flags placed before the script. */
  nodeArgs?: readonly string[];
  /** Added to (and overriding) this process's environment. */
  env?: NodeJS.ProcessEnv;
  /** Receives each labelled line. */
  emit: (line: string) => void;
}

const SIGNAL_NUMBERS: Partial<Record<NodeJS.Signals, number>> = { SIGINT: 2, SIGKILL: 9, SIGTERM: 15 };

/** Starts `node [nodeArgs] <script> [args]`; every line it prints goes to `emit`, labelled. */
export function startChildApp(options: ChildAppOptions): ChildApp {
  const child: ChildProcess = spawn(
    process.execPath,
    [...(options.nodeArgs ?? []), options.script, ...(options.args ?? [])],
    { env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const lines: string[] = [];
  const waiters = new Set<{ pattern: RegExp; resolve: (line: string) => void }>();
  const onLine = (labelled: string) => {
    const line = labelled.slice(options.label.length + 1);
    lines.push(line);
    options.emit(labelled);
    for (const waiter of waiters) {
      if (waiter.pattern.test(line)) {
        waiters.delete(waiter);
        waiter.resolve(line);
      }
    }
  };
  const out = labelLines(options.label, onLine);
  const err = labelLines(options.label, onLine);
  child.stdout?.on('data', out.write);
  child.stderr?.on('data', err.write);
  const exited = new Promise<number>((resolve) => {
    child.on('error', (error) => {
      onLine(`${options.label} could not start: ${error.message}`);
      resolve(127);
    });
    child.on('close', (code, signal) => {
      out.flush();
      err.flush();
      resolve(code ?? 128 + (signal ? (SIGNAL_NUMBERS[signal] ?? 1) : 1));
    });
  });
  const running = () => child.exitCode === null && child.signalCode === null;

  return {
    label: options.label,
    exited,
    lines,
    waitForLine: (pattern) => {
      const seen = lines.find((line) => pattern.test(line));
      if (seen !== undefined) return Promise.resolve(seen);
      return new Promise<string>((resolve, reject) => {
        const waiter = { pattern, resolve };
        waiters.add(waiter);
        void exited.then((code) => {
          if (!waiters.delete(waiter)) return;
          reject(
            new Error(`${options.label} exited with code ${code} before printing a line matching ${pattern}`),
          );
        });
      });
    },
    stop: async (graceMs = 5000) => {
      if (!running()) return exited;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      try {
        return await exited;
      } finally {
        clearTimeout(timer);
      }
    },
    kill: async () => {
      if (running()) child.kill('SIGKILL');
      return exited;
    },
  };
}
