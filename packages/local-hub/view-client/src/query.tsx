import { useState } from 'preact/hooks';
import { ApiError, describe, post } from './api';
import { type Column, Table } from './ui';

interface Page {
  items: Record<string, unknown>[];
  continuation: string | null;
}

/** Columns of a page: the top-level keys of its rows, objects shown as JSON. */
function columnsOf(items: Record<string, unknown>[]): string[] {
  const keys = new Set<string>();
  for (const item of items) for (const key of Object.keys(item)) keys.add(key);
  return [...keys];
}

/** The query console: paged results in a table; a syntax error points at its position. */
export function QueryPage() {
  const [text, setText] = useState('SELECT * FROM devices');
  const [pageSize, setPageSize] = useState(10);
  const [pages, setPages] = useState<Page[]>([]);
  const [error, setError] = useState<{ message: string; position?: number } | undefined>();
  const run = async (continuation: string | null) => {
    try {
      const page = await post<Page>('/api/query', {
        query: text,
        pageSize,
        ...(continuation ? { continuation } : {}),
      });
      setPages((previous) => (continuation ? [...previous, page] : [page]));
      setError(undefined);
    } catch (err) {
      const match = err instanceof ApiError ? /at position (\d+)/.exec(err.message) : null;
      setError({ message: describe(err), ...(match ? { position: Number(match[1]) } : {}) });
    }
  };
  const current = pages[pages.length - 1];
  const columns = current ? columnsOf(current.items) : [];
  return (
    <section>
      <h1>Query</h1>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void run(null);
        }}
      >
        <textarea
          aria-label="Query"
          rows={3}
          class="code"
          value={text}
          onInput={(e) => setText(e.currentTarget.value)}
        />
        <div class="toolbar">
          <label>
            page size{' '}
            <input
              type="number"
              min={1}
              max={1000}
              value={pageSize}
              onInput={(e) => setPageSize(Number(e.currentTarget.value))}
            />
          </label>
          <button type="submit" class="primary">
            Run
          </button>
        </div>
      </form>
      {error && (
        <div class="error" role="alert">
          <p>{error.message}</p>
          {error.position !== undefined && (
            <pre class="code" data-testid="error-position">
              {text}
              {'\n'}
              {`${' '.repeat(Math.min(error.position, text.length))}^`}
            </pre>
          )}
        </div>
      )}
      {current && (
        <>
          <p class="muted" data-testid="page-info">
            page {pages.length} · {current.items.length} rows
            {current.continuation ? ' · more pages' : ' · last page'}
          </p>
          <Table
            rows={current.items}
            rowKey={(item, i) => `${String(item.deviceId ?? '')}/${String(item.moduleId ?? '')}/${i}`}
            columns={columns.map(
              (c): Column<Record<string, unknown>> => [
                c,
                (item) =>
                  typeof item[c] === 'object' ? (
                    <code>{JSON.stringify(item[c])}</code>
                  ) : (
                    String(item[c] ?? '')
                  ),
              ],
            )}
          />
          <div class="toolbar">
            <button type="button" disabled={pages.length < 2} onClick={() => setPages((p) => p.slice(0, -1))}>
              Previous page
            </button>
            <button
              type="button"
              disabled={!current.continuation}
              onClick={() => void run(current.continuation)}
            >
              Next page
            </button>
          </div>
        </>
      )}
    </section>
  );
}
