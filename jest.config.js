/** ts-jest ESM preset: middy 5+ and the project are ESM-only. */
const subpaths = ['domain', 'commons', 'storage', 'config', 'api', 'workflow', 'channels'];
/** @type {import('jest').Config} */
export default {
  preset: 'ts-jest/presets/default-esm',
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  moduleNameMapper: {
    ...Object.fromEntries(subpaths.map((s) => [`^#${s}/(.*)\\.js$`, `<rootDir>/functions/${s}/$1`])),
    '^#workflows/(.*)\\.js$': '<rootDir>/workflows/$1',
    '^#local/(.*)\\.js$': '<rootDir>/local/$1',
    '^#infra/(.*)\\.js$': '<rootDir>/infra/$1',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json', diagnostics: { ignoreCodes: [151002] } }],
  },
  setupFiles: ['<rootDir>/test/setup-env.ts'],
  globalSetup: '<rootDir>/test/global-setup.mjs',
  globalTeardown: '<rootDir>/test/global-teardown.mjs',
  testTimeout: 60000,
  maxWorkers: 2,
  // ESM under vm modules keeps each test file's module graph: a worker that grew past this is replaced after its file.
  workerIdleMemoryLimit: '1536MB',
};
