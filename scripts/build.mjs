// Bundles the daemon (and the demo) into single ESM files under dist/, and builds the embedding
// API (dist/index.js, dependencies external) with its type declarations (dist/types).
import { execFileSync } from "node:child_process"
import { chmodSync, rmSync } from "node:fs"
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

// A signal that arrives while the bundle is still loading ends the process cleanly (exit 0). Once
// main.ts has started the runtime (which handles signals itself) this handler does nothing; it is
// never removed, as removing a signal's last listener can lose a signal already on its way.
const early =
  "globalThis.__gatherarrStarted = false; const __early = () => { if (!globalThis.__gatherarrStarted) process.exit(0) }; process.on('SIGTERM', __early); process.on('SIGINT', __early);"
// `ws` and `mime` are only reached by WebSocket upgrades and file responses, which Gatherarr never
// serves: stand-ins keep them out of the daemon's bundle (less to parse at every start).
const stubs = {
  name: "stubs",
  setup(b) {
    b.onResolve({ filter: /^(ws|mime)$/ }, (args) => ({
      path: new URL(`./stubs/${args.path}.js`, import.meta.url).pathname,
    }))
  },
}
await build({
  ...common,
  plugins: [stubs],
  banner: { js: `#!/usr/bin/env node\n${early}\n${common.banner.js}` },
  entryPoints: { main: "src/main.ts" },
  outdir: "dist",
})
chmodSync("dist/main.js", 0o755)
await build({
  ...common,
  entryPoints: { demo: "scripts/demo.ts", bench: "scripts/bench.ts", simulator: "test/support/serve.ts" },
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
