import { defineConfig } from "vitest/config"

// The container smoke test: builds the image and runs it (docker, or podman on CI machines).
export default defineConfig({
  test: {
    include: ["test/container/**/*.test.ts"],
    testTimeout: 180_000,
    hookTimeout: 600_000,
  },
})
