import { defineConfig } from 'vitest/config'

/** The tests StrykerJS runs against mutants of src/triage (`npm run mutation`; not part of `npm test`). */
export default defineConfig({
  test: {
    environment: 'node',
    // triage-command.test.ts changes the working directory, which worker threads cannot
    pool: 'forks',
    include: ['test/unit/triage/**/*.test.ts', 'test/unit/intake/**/*.test.ts', 'test/unit/routing/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    restoreMocks: true,
    unstubEnvs: true
  }
})
