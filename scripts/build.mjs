// Bundles the daemon (and the demo) into single ESM files under dist/.
import { build } from "esbuild"

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
