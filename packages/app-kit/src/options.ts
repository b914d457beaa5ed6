import { CliError, EXIT_USAGE } from './cli';

/** A usage error: wrong flags or configuration, exit code 2, with a pointer to `--help`. */
export function usageError(message: string): CliError {
  return new CliError(`${message} (see --help)`, { exitCode: EXIT_USAGE, code: 'usage' });
}

/**
 * Runs a flag parser (typically `node:util` parseArgs) and turns what it throws into a {@link usageError}
 * with a one-line message ({@link describeParseArgsError}).
 */
export function withUsageErrors<R>(parse: () => R): R {
  try {
    return parse();
  } catch (err) {
    throw usageError(describeParseArgsError(err));
  }
}

/**
 * One readable line for a `node:util` parseArgs error instead of its multi-line advice: Node's text is
 * written for positionals and dashes in general, not for what the user of this CLI typed.
 */
export function describeParseArgsError(err: unknown): string {
  const { code, message = String(err) } = err as { code?: string; message?: string };
  const option = /'(-{1,2}[^' =]+)/.exec(message)?.[1] ?? 'the option';
  switch (code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return `unknown option ${option}`;
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      // Node calls "--flag -1" ambiguous: the value could be another option.
      if (/ambiguous/.test(message))
        return `${option} needs a value (for one starting with "-", write ${option}=<value>)`;
      if (/does not take an argument/.test(message)) return `${option} takes no value`;
      return `${option} needs a value`;
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
      return `unexpected argument "${/'([^']*)'/.exec(message)?.[1] ?? ''}"`;
    default:
      return message.split('\n')[0] ?? message;
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
