// Bundles the daemon (and the demo) into single ESM files under dist/, and builds the embedding
// API (dist/index.js, dependencies external) with its type declarations (dist/types).
import { execFileSync } from "node:child_process"
import { rmSync } from "node:fs"
import { createRequire } from "node:module"
import { build } from "esbuild"

rmSync("dist", { recursive: true, force: true })

const common = {
  bundle: true,
  platform: "node",
  target: "node20",
  format: "esm",
  minify: true,
  legalComments: "none",
  // Some dependencies are CommonJS and call require(): give the ESM bundle one.
  banner: {
    js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
  },
  logLevel: "warning",
}

await build({ ...common, entryPoints: { main: "src/main.ts" }, outdir: "dist" })
await build({
  ...common,
  entryPoints: { demo: "scripts/demo.ts", simulator: "test/support/serve.ts" },
  outdir: "dist",
})
await build({
  entryPoints: { index: "src/index.ts" },
  bundle: true,
  packages: "external",
  platform: "node",
  target: "node20",
  format: "esm",
  outdir: "dist",
  logLevel: "warning",
})
const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc")
execFileSync(process.execPath, [tsc, "-p", "tsconfig.build.json"], { stdio: "inherit" })
