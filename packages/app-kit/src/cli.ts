import { redactSecrets } from '@iothub-reboot/contracts';

/**
 * An error that ends a CLI: its one-line `message` says what to fix and `exitCode` tells scripts
 * what happened. Thrown anywhere inside {@link runCli}'s main.
 */
export class CliError extends Error {
  override readonly name = 'CliError';
  readonly exitCode: number;
  /** Machine-readable reason, e.g. `device-offline`, for `--json` output. */
  readonly code: string;

  constructor(message: string, options: { exitCode: number; code: string; cause?: unknown }) {
    super(message, { cause: options.cause });
    this.exitCode = options.exitCode;
    this.code = options.code;
  }
}

/** Exit code for wrong flags or configuration (the convention of most CLIs). */
export const EXIT_USAGE = 2;

type ShutdownHook = () => Promise<void> | void;

/** What {@link runCli} hands to the app's main. */
export interface CliContext {
  /** Registers cleanup that runs once on SIGINT/SIGTERM before the process exits 0. */
  onShutdown(hook: ShutdownHook): void;
  /** Aborted when SIGINT/SIGTERM arrives. */
  signal: AbortSignal;
}

/** Where {@link runCli} writes its one-line errors; replaceable for tests. */
export interface CliIo {
  stderr: { write(text: string): unknown };
  exit(code: number): void;
}

const defaultIo: CliIo = {
  stderr: process.stderr,
  exit: (code) => {
    process.exitCode = code;
    // Let pending writes flush; hanging handles are closed by the shutdown hooks.
    setImmediate(() => process.exit(code));
  },
};

/**
 * Runs an app's main: a resolved number is the exit code; a {@link CliError} prints
 * `<app>: <message>` and exits with its code; anything else prints a redacted one-liner and exits 1.
 * SIGINT/SIGTERM run the registered shutdown hooks and exit 0 (a second signal exits at once).
 */
export async function runCli(
  app: string,
  main: (context: CliContext) => Promise<number | undefined>,
  io: CliIo = defaultIo,
): Promise<void> {
  const hooks: ShutdownHook[] = [];
  const controller = new AbortController();
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) return io.exit(130);
    stopping = true;
    controller.abort(new Error(`received ${signal}`));
    void runHooks(hooks).then(
      () => io.exit(0),
      (err: unknown) => {
        io.stderr.write(`${app}: shutdown failed: ${describe(err)}\n`);
        io.exit(1);
      },
    );
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const code = await main({ onShutdown: (hook) => hooks.push(hook), signal: controller.signal });
    if (stopping) return; // the signal path decides the exit
    await runHooks(hooks);
    io.exit(code ?? 0);
  } catch (err) {
    if (stopping) return;
    await runHooks(hooks).catch(() => undefined);
    if (err instanceof CliError) {
      io.stderr.write(`${app}: ${redactSecrets(err.message)}\n`);
      io.exit(err.exitCode);
    } else {
      io.stderr.write(`${app}: unexpected error: ${describe(err)}\n`);
      io.exit(1);
    }
  } finally {
    if (!stopping) {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  }
}

async function runHooks(hooks: ShutdownHook[]): Promise<void> {
  // Last registered first: a client opened after the logger closes before it.
  for (const hook of hooks.splice(0).reverse()) await hook();
}

function describe(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return redactSecrets(text.split('\n')[0] ?? '');
}
