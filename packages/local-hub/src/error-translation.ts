import { z } from 'zod';
import { HubError } from './errors';
import { StoreWriteError } from './persistence/store';
import { QueryContinuationError, QuerySyntaxError } from './query/errors';
import { TwinPatchError } from './twin/errors';

/**
 * The HubError for a request the client got wrong: a HubError as it is; input refused by zod, the twin
 * rules, the query language or the paging as 400 ArgumentInvalid with their message, as
 * "Invalid <subject>: <message>" when a subject is given. Undefined for anything else (a hub bug).
 */
export function requestHubError(err: unknown, subject?: string): HubError | undefined {
  if (err instanceof HubError) return err;
  const message = inputErrorMessage(err);
  if (message === undefined) return undefined;
  return new HubError('ArgumentInvalid', subject === undefined ? message : `Invalid ${subject}: ${message}`);
}

/**
 * Throws `err` as {@link requestHubError} translates it, for code whose callers expect HubErrors. An
 * error it does not translate is thrown unchanged, so that whoever reports it as a bug can log it.
 */
export function throwAsHubError(err: unknown, subject?: string): never {
  throw requestHubError(err, subject) ?? err;
}

/**
 * The HubError a client is shown for any failure, over REST and MQTT alike: {@link requestHubError}, or
 * a 500 that reveals nothing of an unexpected error.
 */
export function toHubError(err: unknown): HubError {
  // The storage refused the write (disk full, I/O error): nothing was applied, and a retry may succeed.
  if (err instanceof StoreWriteError) return new HubError('ServiceUnavailable', err.message);
  return requestHubError(err) ?? new HubError('ServerError', 'The hub failed to process the request.');
}

function inputErrorMessage(err: unknown): string | undefined {
  // One line: the message travels in an HTTP body and in MQTT replies that clients log as is.
  if (err instanceof z.ZodError) return z.prettifyError(err).replace(/\n/g, ' ');
  if (
    err instanceof TwinPatchError ||
    err instanceof QuerySyntaxError ||
    err instanceof QueryContinuationError
  ) {
    return err.message;
  }
  return undefined;
}
