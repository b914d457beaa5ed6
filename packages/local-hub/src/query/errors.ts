/**
 * A query the hub cannot run: bad syntax, an unsupported collection or construct, or a query over the
 * length limit. `position` is the 0-based character offset the message names. Maps to HTTP 400.
 */
export class QuerySyntaxError extends Error {
  override readonly name = 'QuerySyntaxError';
  readonly position: number;

  /** `problem` and `detail` frame the position: "<problem> at position <n><detail>". */
  constructor(problem: string, position: number, detail = '') {
    super(`${problem} at position ${position}${detail}`);
    this.position = position;
  }
}

/** A continuation token that is malformed or was issued for another query. Maps to HTTP 400. */
export class QueryContinuationError extends Error {
  override readonly name = 'QueryContinuationError';
}
