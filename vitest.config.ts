import { defineConfig } from "vitest/config"

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    coverage: {
      provider: "v8",
      include: ["src/**/*.ts"],
      // main.ts only wires layers, launch.ts only starts the bundle: both run as child processes in
      // the end-to-end tests (test/e2e), where in-process coverage cannot see them.
      exclude: ["src/main.ts", "src/launch.ts"],
      reporter: ["text-summary", "text"],
      thresholds: { lines: 85, branches: 85, functions: 85, statements: 85 },
    },
  },
})
