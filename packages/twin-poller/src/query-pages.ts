/** One page-by-page twin query, as `azure-iothub`'s `Query` provides it. */
export interface TwinQuery {
  readonly hasMoreResults: boolean;
  readonly continuationToken: string | null | undefined;
  next(continuationToken: string): Promise<{ result: unknown }>;
}

/** The one call of `azure-iothub`'s `Registry` that {@link pollQueryUntil} needs. */
export interface TwinQuerySource {
  createQuery(sql: string, pageSize?: number): TwinQuery;
}

/** The hub answered a query with something other than pages of twins. */
export class QueryResponseError extends Error {
  override readonly name = 'QueryResponseError';
}

/**
 * Runs `sql` once, following continuation tokens until the last page, and returns every row.
 * The token is always passed explicitly: azure-iothub 1.16.6's promise-style `next()` without an
 * argument sends none and re-reads page 1 forever. `maxPages` stops a hub that never ends the paging.
 */
export async function readAllPages(
  source: TwinQuerySource,
  sql: string,
  pageSize: number,
  maxPages: number,
  signal: AbortSignal,
): Promise<unknown[]> {
  const query = source.createQuery(sql, pageSize);
  const rows: unknown[] = [];
  for (let page = 1; ; page += 1) {
    // Between pages, stop as soon as the poll no longer waits for this round.
    signal.throwIfAborted();
    const { result } = await query.next(query.continuationToken ?? '');
    if (!Array.isArray(result)) throw new QueryResponseError(`query page ${page} is not a JSON array`);
    rows.push(...result);
    if (!query.hasMoreResults) return rows;
    if (page >= maxPages) {
      throw new QueryResponseError(
        `the query still had more results after ${maxPages} pages; the hub repeats or never ends the paging`,
      );
    }
  }
}
