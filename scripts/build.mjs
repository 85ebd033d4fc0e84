// Bundles the daemon (dist/gatherarr.cjs, its launcher dist/main.js and its code cache), the demo,
// the benchmark and the simulator into single files under dist/, and builds the embedding API
// (dist/index.js, dependencies external) with its type declarations (dist/types).
import { execFileSync, spawn } from "node:child_process"
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs"
import { createRequire } from "node:module"
import { createServer } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { createInterface } from "node:readline"
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

// `ws` and `mime` are only reached by WebSocket upgrades and file responses, which Gatherarr never
// serves, and `undici` only by the platform's undici client, which the daemon does not use (it sends
// requests with node:http): stand-ins keep them out of the daemon's bundle (less to load at start).
const stubs = {
  name: "stubs",
  setup(b) {
    b.onResolve({ filter: /^(ws|mime|undici)$/ }, (args) => ({
      path: new URL(`./stubs/${args.path}.js`, import.meta.url).pathname,
    }))
  },
}

const freePort = () =>
  new Promise((resolve) => {
    const probe = createServer().listen(0, "127.0.0.1", () => {
      const { port } = probe.address()
      probe.close(() => resolve(port))
    })
  })

/**
 * A program started like the daemon: `<dir>/gatherarr.cjs`, bundled from `entry`, next to a copy
 * of the launcher as `<dir>/main.js` (src/launch.ts), which runs it with V8's code cache.
 */
const bundleForLauncher = async (entry, dir) => {
  await build({
    ...common,
    format: "cjs",
    banner: {},
    plugins: [stubs],
    entryPoints: [entry],
    outfile: join(dir, "gatherarr.cjs"),
  })
  if (dir !== "dist") copyFileSync("dist/main.js", join(dir, "main.js"))
}

/**
 * Writes `<dir>/gatherarr.cache`: the program runs once with `--write-code-cache` in a clean
 * environment (no NODE_OPTIONS, no GATHERARR_*: the cache stays valid for a plain `node main.js`);
 * after `ready`, /health is asked once, then SIGTERM, and as it exits the launcher writes what V8 has
 * compiled by then.
 */
const writeCodeCache = async (dir, env, port, ready = async () => {}) => {
  const child = spawn(process.execPath, [join(dir, "main.js"), "--write-code-cache"], {
    stdio: ["ignore", "pipe", "inherit"],
    env: { PATH: process.env.PATH, ...env },
  })
  const exited = new Promise((resolve) => child.on("exit", resolve))
  const timeout = setTimeout(() => child.kill("SIGKILL"), 30_000)
  await ready(child)
  for (let answered = false; !answered && child.exitCode === null; ) {
    answered = await fetch(`http://127.0.0.1:${port}/health`).then(
      (response) => response.text().then(() => true),
      () => new Promise((resolve) => setTimeout(() => resolve(false), 10)),
    )
  }
  child.kill("SIGTERM")
  const code = await exited
  clearTimeout(timeout)
  if (code !== 0 || !existsSync(join(dir, "gatherarr.cache"))) {
    throw new Error(`build: the warm-up run for ${dir}/gatherarr.cache failed (exit ${code})`)
  }
}

// The daemon is one CommonJS bundle, dist/gatherarr.cjs, started by the launcher dist/main.js
// (src/launch.ts) through V8's code cache, dist/gatherarr.cache (written below).
await bundleForLauncher("src/main.ts", "dist")
await build({
  ...common,
  banner: { js: "#!/usr/bin/env node" },
  entryPoints: { main: "src/launch.ts" },
  outdir: "dist",
})
chmodSync("dist/main.js", 0o755)
await build({
  ...common,
  entryPoints: { demo: "scripts/demo.ts", bench: "scripts/bench.ts", simulator: "test/support/serve.ts" },
  outdir: "dist",
})

// The daemon's code cache comes from a warm-up run against the simulator: start-up, one run per
// target, /health, shutdown.
{
  const simulator = spawn(process.execPath, ["dist/simulator.js"], { stdio: ["ignore", "pipe", "inherit"] })
  const dir = mkdtempSync(join(tmpdir(), "gatherarr-build-"))
  try {
    const lines = createInterface({ input: simulator.stdout })[Symbol.asyncIterator]()
    const { radarr, sonarr, apiKey } = JSON.parse((await lines.next()).value)
    const port = await freePort()
    const env = {
      GATHERARR_TARGETS: "movies:radarr,tv:sonarr",
      GATHERARR_TARGET_MOVIES_URL: radarr,
      GATHERARR_TARGET_MOVIES_API_KEY: apiKey,
      GATHERARR_TARGET_TV_URL: sonarr,
      GATHERARR_TARGET_TV_API_KEY: apiKey,
      GATHERARR_MAX_SEARCHES_PER_RUN: "2",
      GATHERARR_COMMAND_POLL_INTERVAL: "50ms",
      GATHERARR_STATE_PATH: join(dir, "state.json"),
      GATHERARR_HTTP_HOST: "127.0.0.1",
      GATHERARR_HTTP_PORT: String(port),
      GATHERARR_LOG_LEVEL: "debug",
    }
    await writeCodeCache("dist", env, port, async (daemon) => {
      let finished = 0
      for await (const line of createInterface({ input: daemon.stdout })) {
        if (line.includes('"message":"run finished"') && ++finished === 2) break
      }
    })
  } finally {
    simulator.kill("SIGTERM")
    rmSync(dir, { recursive: true, force: true })
  }
}

// `npm run bench` also builds the floors it compares start-up with (scripts/floor/): the smallest
// Effect program and the smallest @effect/platform server, started like the daemon.
if (process.argv.includes("--floors")) {
  for (const name of ["effect", "platform"]) {
    const dir = join("dist", "floor", name)
    mkdirSync(dir, { recursive: true })
    await bundleForLauncher(`scripts/floor/${name}.ts`, dir)
    const port = await freePort()
    await writeCodeCache(dir, { PORT: String(port) }, port)
  }
}

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
