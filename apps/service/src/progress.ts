/** Shows progress while the service waits: one rewritten line on a TTY, plain lines otherwise. */
export interface Progress {
  update(text: string): void;
  /** Clears the rewritten line (TTY) so the next output starts clean. */
  done(): void;
}

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/** Progress on `stream` (stderr, so stdout stays clean for results and `--json`). */
export function createProgress(stream: NodeJS.WriteStream): Progress {
  if (!stream.isTTY) {
    return { update: (text) => stream.write(`${text}\n`), done: () => undefined };
  }
  let frame = 0;
  let shown = false;
  return {
    update(text) {
      const glyph = FRAMES[frame++ % FRAMES.length];
      stream.write(`\r\x1b[2K${glyph} ${text}`);
      shown = true;
    },
    done() {
      if (shown) stream.write('\r\x1b[2K');
      shown = false;
    },
  };
}
