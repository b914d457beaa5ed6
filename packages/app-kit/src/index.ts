/**
 * What the sample apps share, so each app stays a thin composition of the libraries.
 * @packageDocumentation
 */
export { type ChildApp, startChildApp } from './child-app';
export { type CliContext, CliError, type CliIo, EXIT_USAGE, runCli } from './cli';
export { mapSettledWithLimit } from './concurrency';
export { labelLines } from './labelled-lines';
export { type AppLoggerOptions, createAppLogger } from './logger';
export {
  describeParseArgsError,
  type NumberBounds,
  numberFlag,
  usageError,
  withUsageErrors,
} from './options';
