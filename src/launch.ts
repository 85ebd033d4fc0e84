/**
 * `dist/main.js`: starts the bundled daemon (`dist/gatherarr.cjs`, built from main.ts) with V8's code
 * cache (`dist/gatherarr.cache`, written by `npm run build` after a warm-up run), so that start-up
 * reads compiled code instead of parsing and compiling the whole bundle (about 45 ms of a 2-core
 * machine's start-up). A cache made by another Node/V8 version or with other V8 flags is rejected by
 * V8 and the bundle is compiled as usual: the cache only ever makes start-up faster.
 *
 * Signals are the bundle's own (src/Signals.ts, its first module): the launcher handles none.
 */
import { readFileSync, writeFileSync } from "node:fs"
import { createRequire } from "node:module"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import { setFlagsFromString } from "node:v8"
import { Script } from "node:vm"

/** Passed to the bundle (main.ts reads it): what became of the cache. */
const launch: { codeCache: "accepted" | "rejected" | "absent" } = { codeCache: "absent" }

const here = dirname(fileURLToPath(import.meta.url))
const bundle = join(here, "gatherarr.cjs")
const cache = join(here, "gatherarr.cache")

const readCache = () => {
  try {
    return readFileSync(cache)
  } catch {
    return undefined // No cache: compile as usual.
  }
}
let cachedData = readCache()
const script = new Script(
  `(function (exports, require, module, __filename, __dirname, gatherarrLaunch) {${readFileSync(bundle, "utf8")}\n})`,
  cachedData === undefined ? { filename: bundle } : { filename: bundle, cachedData },
)
if (cachedData !== undefined) launch.codeCache = script.cachedDataRejected ? "rejected" : "accepted"
// V8 has what it needs from the buffer (1.3 MB outside the heap): let it go.
cachedData = undefined

// `npm run build` runs the daemon once with this flag: at exit, the code compiled by then (start-up,
// a run, /health, shutdown) is what the cache holds.
const writeCache = process.argv.indexOf("--write-code-cache")
if (writeCache !== -1) {
  process.argv.splice(writeCache, 1)
  process.on("exit", () => writeFileSync(cache, script.createCachedData()))
}

// Memory before peak speed, set once the code cache is read (V8 checks a cache against the flags it
// was made with, so they must not change before it is read; the warm-up run leaves them alone) and
// before the bundle runs (its start-up is hot enough for TurboFan: about 3 MB of the node binary's
// compiler would be paged in for good). The young generation keeps the size it has instead of
// growing (about -4 MB resident), and TurboFan is off: Gatherarr's JavaScript is glue around native
// JSON, HTTP and file work, and optimising it costs more memory (about -7 MB resident) and CPU than
// it saves in runs this short. Sparkplug, the cheap baseline compiler, stays. Measured in
// BENCHMARKS.md.
if (writeCache === -1) setFlagsFromString("--semi-space-growth-factor=1 --no-turbofan")

const module = { exports: {} }
script.runInThisContext()(module.exports, createRequire(bundle), module, bundle, here, launch)
