import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

// `npm pack` and `pnpm pack` ignore "private": true (only publish checks it): every private package of the
// repo refuses in its prepack (scripts/refuse-pack.mjs).
const ROOT = join(__dirname, '..', '..', '..', '..');
const APP = join(__dirname, '..', '..');

async function manifests(): Promise<
  { dir: string; pkg: { private?: boolean; scripts?: Record<string, string> } }[]
> {
  const dirs = [ROOT];
  for (const group of ['apps', 'packages']) {
    for (const d of await readdir(join(ROOT, group), { withFileTypes: true })) {
      if (d.isDirectory()) dirs.push(join(ROOT, group, d.name));
    }
  }
  return Promise.all(
    dirs.map(async (dir) => ({ dir, pkg: JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')) })),
  );
}

describe('private packages do not pack', () => {
  it('every private package has the refusing prepack, and no public one has it', async () => {
    const all = await manifests();
    const unguarded = all.filter(
      ({ pkg }) => pkg.private && !/refuse-pack\.mjs$/.test(pkg.scripts?.prepack ?? ''),
    );
    expect(unguarded.map((m) => m.dir)).toEqual([]);
    const refusedPublic = all.filter(
      ({ pkg }) => !pkg.private && /refuse-pack/.test(pkg.scripts?.prepack ?? ''),
    );
    expect(refusedPublic.map((m) => m.dir)).toEqual([]);
  });

  it.each([
    ['npm', 'npm'],
    ['pnpm', join(ROOT, 'node_modules', '.bin', 'pnpm')],
  ])('%s pack of the service app fails with the reason and writes no tarball', async (_name, command) => {
    const out = await mkdtemp(join(tmpdir(), 'private-pack-'));
    try {
      const packing = promisify(execFile)(command, ['pack', '--pack-destination', out], { cwd: APP });
      await expect(packing).rejects.toMatchObject({
        code: 1,
        stderr: expect.stringContaining('@iothub-reboot/service-app: private package: not for publishing'),
      });
      expect(await readdir(out)).toEqual([]);
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  });
});
