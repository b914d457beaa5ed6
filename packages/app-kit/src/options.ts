import { CliError, EXIT_USAGE } from './cli';

/** A usage error: wrong flags or configuration, exit code 2, with a pointer to `--help`. */
export function usageError(message: string): CliError {
  return new CliError(`${message} (see --help)`, { exitCode: EXIT_USAGE, code: 'usage' });
}

/** Runs a flag parser (typically `node:util` parseArgs) and turns what it throws into a {@link usageError}. */
export function withUsageErrors<R>(parse: () => R): R {
  try {
    return parse();
  } catch (err) {
    throw usageError((err as Error).message);
  }
}

/** Bounds of a numeric flag. */
export interface NumberBounds {
  min: number;
  max: number;
  /** Only whole numbers. */
  integer?: boolean;
}

/** Reads a numeric flag's text; `undefined` text gives `fallback`. Throws a usage error naming the flag. */
export function numberFlag(
  flag: string,
  text: string | undefined,
  fallback: number,
  bounds: NumberBounds,
): number;
export function numberFlag(
  flag: string,
  text: string | undefined,
  fallback: undefined,
  bounds: NumberBounds,
): number | undefined;
export function numberFlag(
  flag: string,
  text: string | undefined,
  fallback: number | undefined,
  bounds: NumberBounds,
): number | undefined {
  if (text === undefined) return fallback;
  const value = Number(text);
  const kind = bounds.integer ? 'a whole number' : 'a number';
  if (
    text.trim() === '' ||
    !Number.isFinite(value) ||
    value < bounds.min ||
    value > bounds.max ||
    (bounds.integer && !Number.isInteger(value))
  ) {
    throw usageError(`${flag} must be ${kind} from ${bounds.min} to ${bounds.max}`);
  }
  return value;
}
