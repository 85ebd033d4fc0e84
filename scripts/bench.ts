/**
 * `npm run bench`: footprint, start-up, scale and load on the *arr apps, with the built
 * `dist/main.js` as a child process against the simulator on loopback. Prints a Markdown table;
 * every figure is a median of several runs and is also given as a ratio to a baseline measured in
 * the same run. `BENCH_QUICK=1` runs only the smallest libraries (for a smoke check).
 */
import { spawn, spawnSync } from "node:child_process"
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs"
import { createServer } from "node:net"
import { cpus, tmpdir } from "node:os"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as NodePath from "@effect/platform-node/NodePath"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { GatherarrConfig } from "../src/Config.ts"
import { GatherarrMetrics } from "../src/Metrics.ts"
import { State } from "../src/State.ts"
import { empty } from "../src/StateFile.ts"
import { StateStore } from "../src/StateStore.ts"
import { Simulator, type SimulatorOptions } from "../test/support/simulator.ts"

const here = dirname(fileURLToPath(import.meta.url))
const MAIN = join(here, "main.js")
const QUICK = process.env.BENCH_QUICK === "1"
const REPEAT = QUICK ? 3 : 5
const RUN_REPEAT = QUICK ? 1 : 3

const median = (values: ReadonlyArray<number>) => {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}
const percentile = (values: ReadonlyArray<number>, p: number) => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer()
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number }
      s.close(() => resolve(port))
    })
  })

/** VmRSS and VmHWM (peak) of a process, in MB. */
const memory = (pid: number) => {
  const status = readFileSync(`/proc/${pid}/status`, "utf8")
  const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0)
  return { rss: kb("VmRSS") / 1024, peak: kb("VmHWM") / 1024 }
}
/** User + system CPU time of a process, in ms. */
const cpuMs = (pid: number) => {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ")
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100
}

// ---------------------------------------------------------------------------
// Environments: a baseline and Gatherarr always run in the same one. "clean" is PATH only, as in
// the container image; "inherited" is this shell's (on some machines NODE_EXTRA_CA_CERTS is set there,
// and every Node process then parses those certificates at start).

type Env = Record<string, string>
const CLEAN: Env = { PATH: process.env.PATH ?? "" }
const INHERITED: Env = Object.fromEntries(
  Object.entries(process.env).filter(
    (e): e is [string, string] => e[1] !== undefined && !e[0].startsWith("GATHERARR_"),
  ),
)
/** Rest before "idle" RSS is read, after a run and for the bare baseline alike: V8's idle memory
 * reducer (which returns unused heap pages) starts 8 to 20 s after the last full collection. */
const REST_MS = 25_000

// ---------------------------------------------------------------------------
// Baselines

const bareStartup = (env: Env) => {
  const times: Array<number> = []
  for (let i = 0; i < REPEAT * 4; i++) {
    const t = performance.now()
    spawnSync(process.execPath, ["-e", "0"], { env })
    times.push(performance.now() - t)
  }
  return median(times)
}

/** Polls GET /health every 5 ms until it answers 200; the time from `started`. */
const untilHealthy = async (port: number, started: number) => {
  for (;;) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/health`)).status === 200) return performance.now() - started
    } catch {}
    await sleep(5)
  }
}

/**
 * Median time from spawning `node <args>` to its first GET /health 200 (then SIGTERM), each start
 * with a fresh port and temporary directory.
 */
const startup = async (args: ReadonlyArray<string>, env: (port: number, dir: string) => Env) => {
  const times: Array<number> = []
  for (let i = 0; i < REPEAT * 2; i++) {
    const port = await freePort()
    const dir = mkdtempSync(join(tmpdir(), "gatherarr-bench-"))
    const started = performance.now()
    const child = spawn(process.execPath, args, { env: env(port, dir), stdio: "ignore" })
    times.push(await untilHealthy(port, started))
    child.kill("SIGTERM")
    await new Promise((r) => child.on("exit", r))
    rmSync(dir, { recursive: true, force: true })
  }
  return median(times)
}

/** A bare Node HTTP server answering 200: the floor for any daemon that serves /health. */
const bareServerStartup = (env: Env) =>
  startup(
    ["-e", 'require("node:http").createServer((q, s) => s.end("OK")).listen(process.env.PORT, "127.0.0.1")'],
    (port) => ({
      ...env,
      PORT: String(port),
    }),
  )

/** The floors of scripts/floor/, built by `npm run bench` and started like the daemon. */
const floorStartup = (name: "effect" | "platform", env: Env) =>
  startup([join(here, "floor", name, "main.js")], (port) => ({ ...env, PORT: String(port) }))

/** RSS of idle bare Node processes of the same age as Gatherarr's "idle" reading. */
const bareIdleRss = async () => {
  const children = Array.from({ length: REPEAT }, () =>
    spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], { env: CLEAN }),
  )
  await sleep(REST_MS + 1000)
  const values = children.map((child) => memory(child.pid!).rss)
  for (const child of children) child.kill("SIGKILL")
  return median(values)
}

// ---------------------------------------------------------------------------
// Gatherarr as a child process

const daemonEnv = (env: Env, sim: Simulator, port: number, dir: string, searches: number): Env => ({
  ...env,
  GATHERARR_TARGETS: `bench:${sim.options.app}`,
  GATHERARR_TARGET_BENCH_URL: sim.url,
  GATHERARR_TARGET_BENCH_API_KEY: sim.apiKey,
  GATHERARR_MAX_SEARCHES_PER_RUN: String(searches),
  GATHERARR_MAX_SEARCHES_PER_HOUR: "1000",
  GATHERARR_COOLDOWN: "0",
  GATHERARR_COMMAND_POLL_INTERVAL: "20ms",
  GATHERARR_STATE_PATH: join(dir, "state.json"),
  GATHERARR_HTTP_HOST: "127.0.0.1",
  GATHERARR_HTTP_PORT: String(port),
  GATHERARR_LOG_LEVEL: "info",
})

/** Process start to the first /health 200, then SIGTERM; a fresh state each time. */
const gatherarrStartup = (env: Env, sim: Simulator) =>
  startup([MAIN], (port, dir) => daemonEnv(env, sim, port, dir, 1))

interface Sample {
  startup: number
  afterRunRss: number
  idleRss: number
  peakRss: number
  runWall: number
  runCpu: number
  selectionRequests: number
  selectionBytes: number
  searchRequests: number
  searchBytes: number
  shutdown: number
}

const SEARCHING = (path: string) => path.startsWith("/command") || path.startsWith("/history")

const sampleRun = async (sim: Simulator, searches: number): Promise<Sample> => {
  const port = await freePort()
  const dir = mkdtempSync(join(tmpdir(), "gatherarr-bench-"))
  sim.requests.length = 0
  sim.queue.length = 0
  const started = performance.now()
  const child = spawn(process.execPath, [MAIN], {
    env: daemonEnv(CLEAN, sim, port, dir, searches),
    stdio: ["ignore", "pipe", "inherit"],
  })
  let outcomes = 0
  let lastOutcome = 0
  let pending = ""
  child.stdout.on("data", (chunk: Buffer) => {
    const lines = (pending + chunk.toString()).split("\n")
    pending = lines.pop() ?? ""
    for (const line of lines) {
      if (line.includes('"result":"grabbed"') || line.includes('"result":"not_found"')) {
        outcomes++
        lastOutcome = performance.now()
      }
    }
  })
  let peak = 0
  const poll = setInterval(() => {
    try {
      peak = Math.max(peak, memory(child.pid!).peak)
    } catch {}
  }, 20)
  const startup = await untilHealthy(port, started)
  const deadline = performance.now() + 60_000
  while (outcomes < searches && performance.now() < deadline) await sleep(10)
  if (outcomes < searches) {
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text()
    process.stderr.write(
      `bench: only ${outcomes} of ${searches} outcomes seen\n${metrics
        .split("\n")
        .filter((l) => /^gatherarr_(run|searches)/.test(l))
        .join("\n")}\n`,
    )
  }
  const runCpu = cpuMs(child.pid!)
  await sleep(300)
  const afterRunRss = memory(child.pid!).rss
  await sleep(Math.max(0, lastOutcome + REST_MS - performance.now()))
  const idleRss = memory(child.pid!).rss
  clearInterval(poll)
  peak = Math.max(peak, memory(child.pid!).peak)
  const stopped = performance.now()
  child.kill("SIGTERM")
  await new Promise((r) => child.on("exit", r))
  const shutdown = performance.now() - stopped
  rmSync(dir, { recursive: true, force: true })
  const selection = sim.requests.filter((r) => !SEARCHING(r.path))
  const searching = sim.requests.filter((r) => SEARCHING(r.path))
  return {
    startup,
    afterRunRss,
    idleRss,
    peakRss: peak,
    runWall: lastOutcome - started - startup,
    runCpu,
    selectionRequests: selection.length,
    selectionBytes: selection.reduce((n, r) => n + r.bytesSent, 0),
    searchRequests: searching.length,
    searchBytes: searching.reduce((n, r) => n + r.bytesSent, 0),
    shutdown,
  }
}

// ---------------------------------------------------------------------------
// State persistence, in process

const persistCost = async (items: number) => {
  const dir = mkdtempSync(join(tmpdir(), "gatherarr-bench-state-"))
  const path = join(dir, "state.json")
  let seeded = empty(Date.now())
  const stamp = new Date().toISOString()
  const entries = Object.fromEntries(
    Array.from({ length: items }, (_, i) => [
      `movie:${i}`,
      { lastProcessedAt: stamp, lastResult: "not_found" as const },
    ]),
  )
  seeded = { ...seeded, targets: { movies: { consecutiveFailures: 0, items: entries } } }
  const layer = State.Default.pipe(
    Layer.provide(StateStore.layer),
    Layer.provide(
      Layer.mergeAll(
        GatherarrConfig.layerTest({ statePath: path }),
        NodeFileSystem.layer,
        NodePath.layer,
        GatherarrMetrics.layer,
      ),
    ),
  )
  const times = await Effect.runPromise(
    Effect.gen(function* () {
      const state = yield* State
      yield* state.update(() => seeded)
      const out: Array<number> = []
      for (let i = 0; i < 100; i++) {
        const t = performance.now()
        // What a search outcome costs: one item set and persisted.
        yield* state.setItem("movies", `movie:${i}`, {
          lastProcessedAt: new Date().toISOString(),
          lastResult: "grabbed",
        })
        out.push(performance.now() - t)
      }
      return out
    }).pipe(Effect.provide(layer)),
  )
  const size = statSync(path).size
  rmSync(dir, { recursive: true, force: true })
  return { size, p50: percentile(times, 50), p99: percentile(times, 99) }
}

// ---------------------------------------------------------------------------

const fmt = (n: number, digits = 0) => n.toFixed(digits)
const ratio = (n: number, base: number) => `${(n / base).toFixed(2)}x`

const main = async () => {
  const lines: Array<string> = []
  const out = (line = "") => {
    lines.push(line)
    process.stdout.write(`${line}\n`)
  }
  const only = process.env.BENCH_ONLY // "state": only the state persistence table
  out(
    `Machine: ${cpus().length} × ${cpus()[0]?.model ?? "?"}, Node ${process.version}, ${new Date().toISOString().slice(0, 10)}`,
  )
  out()
  let cleanBare = 0 // bare `node -e 0` in the clean environment, the library table's start-up baseline
  const budgets: Array<string> = []
  if (only !== "state") {
    const sim = await Simulator.start({ app: "radarr", movies: 1000, missingRatio: 0.3, grabProbability: 0 })
    out(
      "| environment | bare `node -e 0` | bare Node HTTP server | smallest Effect program serving HTTP | smallest `@effect/platform` HTTP server | Gatherarr |",
    )
    out("| --- | --- | --- | --- | --- | --- |")
    for (const [label, env] of [
      ["clean (PATH only, as in the image)", CLEAN],
      ["inherited (this shell's)", INHERITED],
    ] as const) {
      const bare = bareStartup(env)
      if (env === CLEAN) cleanBare = bare
      const server = await bareServerStartup(env)
      const effect = await floorStartup("effect", env)
      const platform = await floorStartup("platform", env)
      const gatherarr = await gatherarrStartup(env, sim)
      const cell = (ms: number) => `${fmt(ms, 1)} ms (${ratio(ms, bare)})`
      if (env === CLEAN) {
        budgets.push(
          `start-up to healthy, Gatherarr / smallest \`@effect/platform\` server (clean): ${ratio(gatherarr, platform)} (budget 1.5x)`,
        )
      }
      out(
        `| ${label} | ${fmt(bare, 1)} ms | ${[server, effect, platform, gatherarr].map(cell).join(" | ")} |`,
      )
    }
    await sim.close()
    out()
  }
  const bareRss = only === "state" ? 0 : await bareIdleRss()
  if (only !== "state") {
    out(`Clean environment; idle bare \`node\` RSS ${fmt(bareRss, 1)} MB (at ${REST_MS / 1000 + 1} s).`)
    out()
  }
  out(
    "| library | start-up to healthy | RSS after the run | idle RSS | peak RSS | run wall | run CPU | selection requests / bytes | searching requests / bytes | SIGTERM to exit |",
  )
  out("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
  const libraries: Array<{ label: string; options: SimulatorOptions }> = []
  for (const movies of QUICK ? [1000] : [1000, 10_000, 100_000])
    libraries.push({
      label: `Radarr ${movies.toLocaleString("en")} movies`,
      options: { app: "radarr", movies },
    })
  for (const series of QUICK ? [100] : [100, 1000, 5000])
    libraries.push({
      label: `Sonarr ${series.toLocaleString("en")} series`,
      options: { app: "sonarr", series, seasons: 10, episodes: 20 },
    })
  for (const { label, options } of only === "state" ? [] : libraries) {
    const sim = await Simulator.start({
      ...options,
      missingRatio: 0.3,
      grabProbability: 0,
      commandQueuedMs: 5,
      commandRunMs: 20,
    })
    const samples: Array<Sample> = []
    for (let i = 0; i < RUN_REPEAT; i++) samples.push(await sampleRun(sim, 10))
    await sim.close()
    const m = (k: keyof Sample) => median(samples.map((s) => s[k]))
    if (budgets.length < 2 && bareRss > 0) {
      budgets.push(
        `idle RSS, Gatherarr (${label}) / bare \`node\`: ${ratio(m("idleRss"), bareRss)} (budget 1.4x)`,
      )
    }
    out(
      `| ${label} | ${fmt(m("startup"))} ms (${ratio(m("startup"), cleanBare)}) | ${fmt(m("afterRunRss"), 1)} MB (${ratio(m("afterRunRss"), bareRss)}) | ${fmt(m("idleRss"), 1)} MB (${ratio(m("idleRss"), bareRss)}) | ${fmt(m("peakRss"), 1)} MB (${ratio(m("peakRss"), bareRss)}) | ${fmt(m("runWall"))} ms | ${fmt(m("runCpu"))} ms | ${fmt(m("selectionRequests"))} / ${fmt(m("selectionBytes") / 1024, 1)} KB | ${fmt(m("searchRequests"))} / ${fmt(m("searchBytes") / 1024, 1)} KB | ${fmt(m("shutdown"))} ms |`,
    )
  }
  out()
  if (budgets.length > 0) {
    out("Budgets:")
    for (const line of budgets) out(`- ${line}`)
    out()
  }
  out("| items in state | state file size | persist one outcome p50 | p99 |")
  out("| --- | --- | --- | --- |")
  for (const items of QUICK ? [1000] : [1000, 10_000, 100_000]) {
    const cost = await persistCost(items)
    out(
      `| ${items.toLocaleString("en")} | ${fmt(cost.size / 1024, 1)} KB | ${fmt(cost.p50, 2)} ms | ${fmt(cost.p99, 2)} ms |`,
    )
  }
}

await main()
