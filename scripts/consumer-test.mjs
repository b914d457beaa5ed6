#!/usr/bin/env node
// The consumer test: what a user gets from the registry, checked before anything is published.
//   1. `pnpm pack` every public package (pnpm rewrites workspace: and catalog: ranges as publishing does).
//   2. Each tarball: no workspace:/catalog: left, the metadata a registry page shows, LICENSE, every source
//      map resolving inside the tarball, publint (strict) and @arethetypeswrong/cli (node16 profile).
//   3. Each README's TypeScript blocks are the files in the package's examples/ (the README names each one).
//   4. The tarballs are installed with pnpm into a scratch project outside the workspace; the examples are
//      type-checked and run there as an ESM project ("type": "module") and as a CommonJS one, both
//      `nodenext`, against a local hub started with the installed package's own `local-hub` bin, whose web
//      view must serve its bundled client from the installed dist.
// Run after `build`. Needs the npm registry for the third-party dependencies (pnpm's store serves reruns).
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkPackage, createPackageFromTarballData } from '@arethetypeswrong/core';
import { publint } from 'publint';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const work = mkdtempSync(join(tmpdir(), 'iothub-reboot-consumer-'));
const failures = [];
const fail = (text) => failures.push(text);
const started = Date.now();
const say = (text) =>
  process.stdout.write(`consumer-test: [${Math.round((Date.now() - started) / 1000)} s] ${text}\n`);
const children = new Set();

/** Runs a command to its end; a non-zero exit is a failure that carries the command's output. */
function run(command, args, options = {}) {
  const r = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, ...options });
  if (r.status !== 0) {
    const output = `${r.stdout ?? ''}${r.stderr ?? ''}`.trim() || String(r.error ?? '');
    throw new Error(`${basename(command)} ${args.join(' ')} failed (exit ${r.status}):\n${output}`);
  }
  return r.stdout;
}

const publicPackages = readdirSync(join(root, 'packages'))
  .map((dir) => ({ dir: join(root, 'packages', dir), rel: `packages/${dir}` }))
  .filter(({ dir }) => existsSync(join(dir, 'package.json')))
  .map((p) => ({ ...p, pkg: JSON.parse(readFileSync(join(p.dir, 'package.json'), 'utf8')) }))
  .filter(({ pkg }) => !pkg.private);

try {
  // 1. Pack with the release tooling.
  const tarDir = join(work, 'tarballs');
  const packed = JSON.parse(
    run(process.execPath, [
      join(root, 'scripts', 'pnpm.mjs'),
      '-r',
      ...publicPackages.map(({ pkg }) => `--filter=${pkg.name}`),
      'pack',
      '--pack-destination',
      tarDir,
      '--json',
    ]),
  );
  const tarballs = new Map([packed].flat().map((p) => [p.name, p.filename]));
  say(`packed ${tarballs.size} packages`);

  // 2. Each tarball as the registry would serve it.
  const rootPkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  for (const { pkg, rel } of publicPackages) {
    const tarball = tarballs.get(pkg.name);
    if (!tarball) {
      fail(`${pkg.name}: not packed`);
      continue;
    }
    const unpacked = join(work, 'unpacked', basename(tarball, '.tgz'));
    mkdirSync(unpacked, { recursive: true });
    run('tar', ['xzf', tarball, '-C', unpacked]);
    const dir = join(unpacked, 'package');
    checkManifest(JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')), rel, rootPkg);
    checkFiles(pkg.name, dir);
    const { messages } = await publint({
      pack: { tarball: new Uint8Array(readFileSync(tarball)).buffer },
      level: 'suggestion',
      strict: true,
    });
    for (const m of messages) fail(`${pkg.name}: publint ${m.type} ${m.code} at ${m.path.join('.')}`);
    // attw's "node16" profile, in process (one TypeScript load for every tarball): every supported Node
    // resolves through `exports`, so node10 resolution (no exports map) is out of scope.
    const analysis = await checkPackage(createPackageFromTarballData(new Uint8Array(readFileSync(tarball))));
    for (const problem of analysis.types ? analysis.problems : []) {
      if (problem.resolutionKind === 'node10') continue;
      fail(`${pkg.name}: arethetypeswrong ${problem.kind} ${JSON.stringify(problem)}`);
    }
    if (!analysis.types) fail(`${pkg.name}: arethetypeswrong found no types`);
  }
  say(`checked ${tarballs.size} tarballs (manifest, files, maps, publint, attw)`);

  // 3. README examples are files; collect them.
  const examples = publicPackages.flatMap(({ pkg, dir }) => readmeExamples(pkg.name, dir));
  say(`${examples.length} README examples`);

  // 4. A scratch project outside the workspace, installed from the tarballs with npm.
  const app = join(work, 'app');
  mkdirSync(app);
  const peers = Object.assign({}, ...publicPackages.map(({ pkg }) => pkg.peerDependencies ?? {}));
  const catalog = readCatalog();
  const local = Object.fromEntries([...tarballs].map(([name, file]) => [name, `file:${file}`]));
  const dependencies = {
    ...local,
    ...Object.fromEntries(Object.keys(peers).map((name) => [name, catalog[name]])),
  };
  writeJson(join(app, 'package.json'), {
    name: 'consumer',
    private: true,
    dependencies,
    devDependencies: { '@types/node': catalog['@types/node'] },
    // The packages' dependencies on each other are registry ranges (^0.1.0): these tarballs stand in.
    pnpm: { overrides: local },
  });
  // pnpm, outside the workspace: its strict layout fails an undeclared dependency that npm's flat one would
  // hide, and the shared store makes the install take seconds.
  run(process.execPath, [
    join(root, 'scripts', 'pnpm.mjs'),
    'install',
    '--dir',
    app,
    '--prefer-offline',
    '--loglevel=error',
  ]);
  say('installed the tarballs with pnpm');
  for (const kind of ['esm', 'cjs']) {
    const project = join(app, kind);
    mkdirSync(join(project, 'src'), { recursive: true });
    writeJson(join(project, 'package.json'), { type: kind === 'esm' ? 'module' : 'commonjs' });
    writeJson(join(project, 'tsconfig.json'), {
      compilerOptions: {
        module: 'nodenext',
        moduleResolution: 'nodenext',
        target: 'es2022',
        strict: true,
        // Third-party declarations are not ours to fix (mqtt's need @types/ws); attw checks our types' resolution.
        skipLibCheck: true,
        types: ['node'],
        rootDir: 'src',
        outDir: 'dist',
        noEmitOnError: true,
      },
      include: ['src'],
    });
    for (const example of examples) {
      const code = kind === 'esm' ? example.code : asCommonJs(example.code);
      writeFileSync(join(project, 'src', `${example.id}.ts`), code);
    }
  }
  try {
    // One compiler process for both projects (build mode); each has its own package.json "type".
    run(process.execPath, [
      join(root, 'node_modules', 'typescript', 'bin', 'tsc'),
      '-b',
      join(app, 'esm'),
      join(app, 'cjs'),
    ]);
  } catch (err) {
    fail(`the README examples do not type-check: ${err.message}`);
  }
  say('type-checked the examples as ESM and as CommonJS');
  if (failures.length === 0) await runExamples(app, examples);
} catch (err) {
  fail(err.stack ?? String(err));
} finally {
  for (const child of children) child.kill('SIGKILL');
  rmSync(work, { recursive: true, force: true });
}

if (failures.length > 0) {
  process.stderr.write(`consumer-test: ${failures.length} problem(s):\n- ${failures.join('\n- ')}\n`);
  process.exit(1);
}
say(`ok in ${Math.round((Date.now() - started) / 1000)} s`);

/** What an installed package.json must say, with every range rewritten for the registry. */
function checkManifest(manifest, rel, rootPkg) {
  const name = manifest.name;
  for (const field of ['dependencies', 'peerDependencies', 'optionalDependencies']) {
    for (const [dep, range] of Object.entries(manifest[field] ?? {})) {
      if (/^(workspace|catalog):/.test(range)) fail(`${name}: ${field}.${dep} is still "${range}"`);
      if (/^\d/.test(range) && !dep.startsWith('@iothub-reboot/')) {
        fail(`${name}: ${field}.${dep} is pinned to ${range}; a caret range lets consumers dedupe`);
      }
    }
  }
  if (manifest.dependencies?.pino) fail(`${name}: pino is a dependency; the consumer's pino is a peer`);
  if (manifest.license !== 'MIT') fail(`${name}: license is ${manifest.license}`);
  if (manifest.repository?.url !== rootPkg.repository.url || manifest.repository?.directory !== rel) {
    fail(`${name}: repository should be ${rootPkg.repository.url} in ${rel}`);
  }
  if (!manifest.homepage || !manifest.bugs?.url) fail(`${name}: homepage or bugs missing`);
  if (!Array.isArray(manifest.keywords) || manifest.keywords.length === 0) fail(`${name}: no keywords`);
  if (manifest.publishConfig?.access !== 'public') fail(`${name}: publishConfig.access is not public`);
  if (manifest.engines?.node !== rootPkg.engines.node) fail(`${name}: engines.node differs from the root's`);
}

/** LICENSE and README in the tarball, no tests, and every map's sources inside the tarball. */
function checkFiles(name, dir) {
  for (const file of ['LICENSE', 'README.md']) if (!existsSync(join(dir, file))) fail(`${name}: no ${file}`);
  const files = listFiles(dir);
  for (const file of files.filter((f) => /\.test\.[jt]s$/.test(f))) fail(`${name}: ships a test, ${file}`);
  for (const file of files.filter((f) => f.endsWith('.map'))) {
    const map = JSON.parse(readFileSync(join(dir, file), 'utf8'));
    for (const source of map.sources) {
      const target = posix.join(posix.dirname(file), map.sourceRoot ?? '', source);
      if (!existsSync(join(dir, target))) fail(`${name}: ${file} points at ${target}, not in the tarball`);
    }
  }
}

function listFiles(dir, prefix = '') {
  return readdirSync(join(dir, prefix), { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? listFiles(dir, posix.join(prefix, e.name)) : [posix.join(prefix, e.name)],
  );
}

/**
 * The README's ```ts blocks, each preceded by `<!-- example: examples/<file>.ts -->` and equal to that
 * file, so what a reader copies is what runs here. A block without the marker is a failure.
 */
function readmeExamples(name, dir) {
  const readme = readFileSync(join(dir, 'README.md'), 'utf8');
  const found = [];
  const block = /(?:<!-- example: (\S+) -->\n)?```ts\n([\s\S]*?)```/g;
  for (const [, file, code] of readme.matchAll(block)) {
    if (!file) {
      fail(
        `${name}: README has a TypeScript block without an <!-- example: … --> file: ${code.split('\n')[0]}`,
      );
      continue;
    }
    const path = join(dir, file);
    const text = existsSync(path) ? readFileSync(path, 'utf8') : undefined;
    if (text !== code) fail(`${name}: README block differs from ${file} (copy the file into the README)`);
    found.push({ id: `${basename(dir)}.${basename(file, '.ts')}`, code: text ?? code });
  }
  const listed = new Set(found.map((e) => e.id));
  const exampleDir = join(dir, 'examples');
  for (const file of existsSync(exampleDir) ? readdirSync(exampleDir) : []) {
    if (!listed.has(`${basename(dir)}.${basename(file, '.ts')}`))
      fail(`${name}: examples/${file} is in no README`);
  }
  return found;
}

/** CommonJS has no top-level await: the same example with its body in an async main. */
function asCommonJs(code) {
  const lines = code.split('\n');
  const imports = lines.filter((l) => l.startsWith('import '));
  const body = lines.filter((l) => !l.startsWith('import '));
  return `${imports.join('\n')}\n\nasync function main(): Promise<void> {\n${body.join('\n')}\n}\nmain().catch((err: unknown) => {\n  console.error(err);\n  process.exit(1);\n});\n`;
}

/** Runs every example in both projects against one local hub started with the installed bin. */
async function runExamples(app, examples) {
  const bin = join(app, 'node_modules', '.bin', 'local-hub');
  const dataDir = join(app, '.local-hub');
  const hub = start(
    bin,
    [
      'start',
      '--data-dir',
      dataDir,
      '--mqtt-port',
      '0',
      '--https-port',
      '0',
      '--view',
      '0',
      '--log-level',
      'warn',
    ],
    {
      cwd: app,
    },
  );
  await hub.waitFor(/^Stop:/);
  await checkViewAssets(hub.output());
  const { serviceConnectionString } = JSON.parse(readFileSync(join(dataDir, 'connection.json'), 'utf8'));
  const device = examples.find((e) => e.id === 'device-reboot-handler.usage');
  const poller = examples.find((e) => e.id === 'twin-poller.usage');
  // The two projects run side by side, each with a device of its own and its own working directory
  // (the device example keeps its record in ./state), where .local-hub is the hub's data directory.
  const runProject = async (kind) => {
    const cwd = join(app, kind);
    symlinkSync(dataDir, join(cwd, '.local-hub'));
    const deviceId = `consumer-${kind}`;
    // `CS=$(local-hub device add …)`: stdout is the connection string and nothing else.
    const deviceCs = execFileSync(bin, ['device', 'add', deviceId, '--data-dir', dataDir], {
      encoding: 'utf8',
    });
    if (!new RegExp(`^HostName=[^\\n]+;DeviceId=${deviceId};SharedAccessKey=[^\\n]+\\n$`).test(deviceCs)) {
      fail(`local-hub device add printed more than the connection string: ${JSON.stringify(deviceCs)}`);
    }
    const env = {
      ...process.env,
      IOTHUB_CONNECTION_STRING: serviceConnectionString,
      IOTHUB_DEVICE_CONNECTION_STRING: deviceCs.trim(),
      IOTHUB_DEVICE_ID: deviceId,
      LOG_FORMAT: 'json',
    };
    const script = (example) => join(cwd, 'dist', `${example.id}.js`);
    for (const example of examples.filter((e) => e !== device && e !== poller)) {
      const child = start(process.execPath, [script(example)], { cwd, env });
      const code = await child.exited;
      if (code !== 0) fail(`${kind} ${example.id} exited ${code}:\n${child.output()}`);
    }
    if (device && poller) {
      // The device example waits for rebootDevice; the poller example sends it and confirms the reboot.
      const deviceRun = start(process.execPath, [script(device)], { cwd, env });
      await deviceRun.waitFor(/waiting for rebootDevice/);
      const pollerRun = start(process.execPath, [script(poller)], { cwd, env });
      const [deviceCode, pollerCode] = await Promise.all([deviceRun.exited, pollerRun.exited]);
      if (pollerCode !== 0 || !/confirmed by/.test(pollerRun.output())) {
        fail(`${kind} ${poller.id} exited ${pollerCode}:\n${pollerRun.output()}`);
      }
      if (deviceCode !== 0) fail(`${kind} ${device.id} exited ${deviceCode}:\n${deviceRun.output()}`);
    }
    say(`ran the ${examples.length} examples as ${kind}`);
  };
  await Promise.all([runProject('esm'), runProject('cjs')]);
  hub.child.kill('SIGTERM');
  const hubCode = await hub.exited;
  if (hubCode !== 0) fail(`the local hub exited ${hubCode} on SIGTERM:\n${hub.output()}`);
}

/**
 * The web view (on by default in the CLI) serves its client bundle from the installed package: the
 * esbuild output in dist/view-assets must be in the tarball, not only in the workspace's dist.
 */
async function checkViewAssets(banner) {
  const printed = /web view +(http:\/\/127\.0\.0\.1:\d+\/\?token=\S+)/.exec(banner)?.[1];
  if (!printed) return fail(`the local hub's banner has no web view URL:\n${banner}`);
  const opened = await fetch(printed, { redirect: 'manual' });
  const cookie = opened.headers.getSetCookie()[0]?.split(';')[0];
  if (opened.status !== 303 || !cookie) return fail(`the web view URL answered ${opened.status}, no session`);
  const { origin } = new URL(printed);
  for (const [path, type] of [
    ['/', 'text/html'],
    ['/assets/app.js', 'text/javascript'],
    ['/assets/app.css', 'text/css'],
    ['/assets/licenses.txt', 'text/plain'],
  ]) {
    const res = await fetch(`${origin}${path}`, { headers: { cookie } });
    const body = await res.text();
    if (res.status !== 200 || !res.headers.get('content-type')?.startsWith(type) || body.length < 100) {
      fail(
        `the installed web view's ${path} answered ${res.status} ${res.headers.get('content-type')} (${body.length} bytes)`,
      );
    }
    // Preact's MIT licence asks that its notice ship with every copy of the bundle.
    if (path.endsWith('licenses.txt') && !/^preact .*\(MIT\)[\s\S]*Copyright \(c\)/m.test(body)) {
      fail(`the installed web view's licenses.txt lacks Preact's MIT notice:\n${body.slice(0, 300)}`);
    }
  }
  say('the installed web view serves its page, bundle and licence notices');
}

/** A child process with its output kept; every wait is bounded so a hang fails with the output so far. */
function start(command, args, options) {
  const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let text = '';
  const waiters = [];
  const onData = (chunk) => {
    text += chunk;
    for (const w of waiters.splice(0)) if (!w(text)) waiters.push(w);
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const limit = (promise, what) =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`${basename(args[0] ?? command)}: no ${what} within 90 s; output:\n${text}`));
      }, 90_000);
      promise.then(
        (v) => {
          clearTimeout(timer);
          resolve(v);
        },
        (e) => {
          clearTimeout(timer);
          reject(e);
        },
      );
    });
  const closed = new Promise((resolve) =>
    child.on('close', (code, signal) => {
      children.delete(child);
      resolve(code ?? signal);
    }),
  );
  return {
    child,
    // The bound starts when someone waits: the hub runs for the whole test.
    get exited() {
      return limit(closed, 'exit');
    },
    output: () => text,
    waitFor: (pattern) =>
      limit(
        new Promise((resolve, reject) => {
          const check = (t) => {
            if (!t.split('\n').some((line) => pattern.test(line))) return false;
            resolve();
            return true;
          };
          if (!check(text)) waiters.push(check);
          child.on('close', () => reject(new Error(`exited before printing ${pattern}:\n${text}`)));
        }),
        String(pattern),
      ),
  };
}

/** The catalog's ranges (pnpm-workspace.yaml), so the scratch project asks for what the packages declare. */
function readCatalog() {
  const yaml = readFileSync(join(root, 'pnpm-workspace.yaml'), 'utf8');
  const section = yaml.split(/^catalog:\n/m)[1] ?? '';
  const entries = {};
  for (const line of section.split('\n')) {
    const m = /^ {2}"?([^":]+)"?: (\S+)$/.exec(line);
    if (!m) break;
    entries[m[1]] = m[2];
  }
  return entries;
}

function writeJson(path, value) {
  writeFileSync(path, `${JSON.stringify(value, null, 2)}\n`);
}
