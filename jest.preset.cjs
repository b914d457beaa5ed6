// Shared jest settings: TypeScript through SWC (fast, no type-check; `typecheck` does that),
// tests beside the code, and nothing left running when a suite ends.
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/src'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.(t|j|mj)s$': [
      '@swc/jest',
      { jsc: { target: 'es2022', parser: { syntax: 'typescript' } }, module: { type: 'commonjs' } },
    ],
  },
  moduleFileExtensions: ['ts', 'js', 'mjs', 'cjs', 'json'],
  // aedes 1.x and its helpers are ESM-only; compile them to CommonJS like our own sources.
  transformIgnorePatterns: ['/node_modules/(?!(\\.pnpm/)?(aedes|aedes-[^/]+|mqemitter|hwm)[@/])'],
  testTimeout: 30_000,
  // One worker per package: turbo already runs two packages at once, and end-to-end suites start processes.
  maxWorkers: 1,
  reporters: ['default', require.resolve('./scripts/jest-results-reporter.cjs')],
};
