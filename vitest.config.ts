import { defineConfig } from "vitest/config"

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    coverage: {
      provider: "v8",
      include: ["src/**/*.ts"],
      // main.ts only wires layers and runs as a child process in the end-to-end tests.
      exclude: ["src/main.ts"],
      reporter: ["text-summary", "text"],
      thresholds: { lines: 85, branches: 85, functions: 85, statements: 85 },
    },
  },
})
