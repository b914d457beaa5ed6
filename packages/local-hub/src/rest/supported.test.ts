import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { listRoutes } from './routes';

// SUPPORTED.md's route table and the route table must say the same: a route nobody documented, or a
// documented route that does not exist, fails here.
const ROW = /^\| `(GET|PUT|POST|PATCH|DELETE)` \| `([^`]+)` \| (supported|not supported) \|/;

function documentedRoutes(): string[] {
  const text = readFileSync(join(__dirname, '..', '..', 'SUPPORTED.md'), 'utf8');
  return text
    .split('\n')
    .map((line) => ROW.exec(line))
    .filter((match) => match !== null)
    .map(([, method, path, state]) => `${method} ${path} ${state}`);
}

describe('SUPPORTED.md', () => {
  it('lists every route of the route table, with the state the table gives it', () => {
    const served = listRoutes().map(
      (r) => `${r.method} ${r.path} ${r.notSupported === undefined ? 'supported' : 'not supported'}`,
    );
    expect([...documentedRoutes()].sort()).toEqual([...served].sort());
  });

  it('lists each route once', () => {
    const rows = documentedRoutes();
    expect(new Set(rows).size).toBe(rows.length);
  });
});
