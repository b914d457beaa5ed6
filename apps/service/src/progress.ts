import { Writable } from 'node:stream';

/** Shows progress while the service waits: one rewritten line on a TTY, plain lines otherwise. */
export interface Progress {
  update(text: string): void;
  /** Clears the rewritten line (TTY) so the next output starts clean. */
  done(): void;
}

/** What the status line writes to: stderr, or a fake terminal in tests. */
export interface StatusStream {
  write(text: string): unknown;
  isTTY?: boolean;
  /** Terminal width; a longer line would wrap, and `\r` could then clear only its last row. */
  columns?: number;
}

/**
 * The one writer of a terminal's last line. The progress line is drawn there; every other line (pino's log
 * lines through {@link StatusLine.logs}, stdout prose through {@link StatusLine.print}) clears it first and
 * redraws it after, so a log line never lands in the middle of the progress text.
 */
export interface StatusLine {
  readonly progress: Progress;
  /** A stream for the app logger: each write is a whole line printed above the progress line. */
  readonly logs: Writable & { isTTY?: boolean };
  /** Runs `write` (output to another stream of the same terminal) with the progress line cleared. */
  print(write: () => void): void;
}

/** Seams for tests: the clock the elapsed time is read from, and how often a TTY line is redrawn. */
export interface StatusLineOptions {
  /** Milliseconds from any origin; default `performance.now`. */
  now?: () => number;
  /** Redraw interval on a TTY, so the elapsed time moves while a call is in flight; default 100 ms. */
  redrawMs?: number;
}

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
const CLEAR_LINE = '\r\x1b[2K';

/** "12.3 s" (elapsed time since the status line was created). */
export function formatElapsed(ms: number): string {
  return `${(Math.max(0, ms) / 1000).toFixed(1)} s`;
}

/** A status line on `stream` (stderr, so stdout stays clean for results and `--json`). */
export function createStatusLine(stream: StatusStream, options: StatusLineOptions = {}): StatusLine {
  const now = options.now ?? (() => performance.now());
  const startedAt = now();
  const tty = Boolean(stream.isTTY);
  let text: string | undefined; // the progress text on screen (TTY only)
  let frame = 0;
  let timer: NodeJS.Timeout | undefined;

  const draw = () => {
    if (text === undefined) return;
    const line = `${FRAMES[frame++ % FRAMES.length]} ${formatElapsed(now() - startedAt)}  ${text}`;
    // One row at most: a wrapped line would leave its first rows behind when it is cleared.
    const width = stream.columns && stream.columns > 1 ? stream.columns - 1 : undefined;
    stream.write(`${CLEAR_LINE}${width !== undefined && line.length > width ? line.slice(0, width) : line}`);
  };
  const clear = () => {
    if (text !== undefined) stream.write(CLEAR_LINE);
  };
  const print = (write: () => void) => {
    clear();
    write();
    draw();
  };

  const progress: Progress = tty
    ? {
        update(next) {
          text = next;
          draw();
          timer ??= setInterval(draw, options.redrawMs ?? 100);
          // A forgotten done() must not keep the process alive.
          timer.unref();
        },
        done() {
          clearInterval(timer);
          timer = undefined;
          clear();
          text = undefined;
        },
      }
    : {
        // Plain lines: nothing is rewritten, so nothing can collide.
        update: (next) => stream.write(`${next}\n`),
        done: () => undefined,
      };

  const logs = Object.assign(
    new Writable({
      decodeStrings: false,
      write(chunk: string | Buffer, _encoding, callback) {
        const line = typeof chunk === 'string' ? chunk : chunk.toString('utf8');
        print(() => stream.write(line));
        callback();
      },
    }),
    // The logger picks pretty output and colours from this, as it would from stderr itself.
    { isTTY: tty },
  );
  return { progress, logs, print };
}
