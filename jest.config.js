// Packages in node_modules that ship only ES modules and that the tests load (Nest 12 and what it
// imports). Jest cannot require() them as they are; test/support/esm-package.transformer.js compiles
// them to CommonJS. A new one shows up as Jest's "Must use import to load ES Module: <path>": add it here.
const ES_MODULE_PACKAGES = ['@nestjs'];

/** @type {import('jest').Config} */
module.exports = {
  rootDir: '.',
  testEnvironment: 'node',
  testMatch: ['<rootDir>/test/**/*.spec.ts'],
  // Type-checking is `tsc --noEmit` in `npm test`; here ts-jest only transpiles, which keeps runs fast.
  transform: {
    '^.+\\.ts$': 'ts-jest',
    '/node_modules/.+\\.js$': '<rootDir>/test/support/esm-package.transformer.js',
  },
  transformIgnorePatterns: [`/node_modules/(?!(${ES_MODULE_PACKAGES.join('|')})/)`],
  setupFiles: ['reflect-metadata'],
  reporters: ['default', '<rootDir>/test/support/summary-reporter.js'],
  // The slowest files start first, so none of them is left running alone at the end.
  testSequencer: '<rootDir>/test/support/slow-first.sequencer.js',
  testTimeout: 20000,
  // Three workers on CI's two cores: most specs wait on brokers, child processes and servers they
  // start (the scale-out kits), not on the CPU, and the slowest (install, sample start-up) would
  // otherwise run alone for minutes. Tests assert what happened, never how long it took, so a loaded
  // machine slows them without failing them.
  maxWorkers: 3,
};
