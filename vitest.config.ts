import { defineConfig } from "vitest/config"

// `npm test`: everything but the container smoke test, which needs a container engine and runs only
// from `npm run test:container` (vitest.container.config.ts).
export default defineConfig({
  test: {
    include: ["test/{unit,integration,e2e}/**/*.test.ts"],
    setupFiles: ["test/support/setup.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Console output of passing tests is dropped; a failing test's is shown.
    silent: "passed-only",
    coverage: {
      provider: "v8",
      include: ["src/**/*.ts"],
      // The process itself: main.ts wires layers, Daemon.ts and Signals.ts are the process's exit
      // statuses and signals, launch.ts starts the bundle. They run as child processes in the
      // end-to-end tests (test/e2e), where in-process coverage cannot see them.
      exclude: ["src/main.ts", "src/launch.ts", "src/Daemon.ts", "src/Signals.ts"],
      reporter: ["text-summary", "text"],
      thresholds: { lines: 85, branches: 85, functions: 85, statements: 85 },
    },
  },
})
