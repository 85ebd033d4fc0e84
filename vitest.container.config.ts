import { defineConfig } from "vitest/config"

// The container smoke test: builds the image and runs it. Started by `npm run test:container`
// (scripts/test-container.mjs), which first finds an engine that can build the image.
export default defineConfig({
  test: {
    include: ["test/container/**/*.test.ts"],
    setupFiles: ["test/support/setup.ts"],
    testTimeout: 180_000,
    hookTimeout: 600_000,
  },
})
