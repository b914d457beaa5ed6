import type { JsonObject } from '../twin';

/** How long the later pages of one query run are served from its first page's results. */
export const SNAPSHOT_TTL_MS = 30_000;
// Each run can hold every twin; a few runs in flight at once is what paging clients need.
const MAX_SNAPSHOTS = 8;

/**
 * The results of recent query runs, keyed by query text. A run's first page (no continuation token)
 * always executes the query afresh and stores its results; the later pages of that run are sliced from
 * them instead of re-running the query over every twin (which made paging cost pages × twins). Like
 * IoT Hub's own queries, a run therefore sees one consistent snapshot. Bounded in count and age.
 */
export class QuerySnapshots {
  private readonly entries = new Map<string, { results: readonly JsonObject[]; at: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Results for a later page of the run of `text`, when that run is still remembered. */
  get(text: string): readonly JsonObject[] | undefined {
    const entry = this.entries.get(text);
    if (entry === undefined) return undefined;
    if (this.now() - entry.at > SNAPSHOT_TTL_MS) {
      this.entries.delete(text);
      return undefined;
    }
    return entry.results;
  }

  /** Remembers a fresh run's results (evicting the oldest run beyond the bound). */
  set(text: string, results: readonly JsonObject[]): void {
    this.entries.delete(text);
    this.entries.set(text, { results, at: this.now() });
    if (this.entries.size > MAX_SNAPSHOTS) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
  }
}
