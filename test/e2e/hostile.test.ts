/**
 * The built daemon (dist/main.js) under hostile or unlucky input, as an attacker or an unlucky user
 * would meet it: secrets in a bad configuration, key files that are no files, huge answers, a
 * thousand targets, Object.prototype's names, a symlinked or shared state file, signals, odd paths,
 * and apps whose indexers are all down.
 */
import { execFileSync, spawn } from "node:child_process"
import {
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from "node:fs"
import { hostname } from "node:os"
import { join } from "node:path"
import { afterEach, describe, expect, it } from "vitest"
import { decode } from "../../src/StateFile.ts"
import { cleanupList, daemonEnv, type Running, waitForStatus } from "../support/process.ts"
import { indexersFailing, Simulator } from "../support/simulator.ts"
import { tempDir } from "../support/temp.ts"

const RADARR_KEY = "rAdArR-h0stile-key-3c9d"
const SONARR_KEY = "sOnArR-h0stile-key-7e2a"

const cleanup = cleanupList()
afterEach(cleanup.run)

const sims = async (radarr: Partial<Parameters<typeof Simulator.start>[0]> = {}) => {
  const r = await Simulator.start({
    app: "radarr",
    apiKey: RADARR_KEY,
    movies: 30,
    grabProbability: 0.5,
    ...radarr,
  })
  const s = await Simulator.start({ app: "sonarr", apiKey: SONARR_KEY, series: 5 })
  cleanup.push(
    () => r.close(),
    () => s.close(),
  )
  return { radarr: r, sonarr: s }
}

const outcomes = (running: Running, target: string) =>
  running
    .logs()
    .filter((l) => l.target_name === target && (l.result === "grabbed" || l.result === "not_found"))

const stateOf = (dir: string) => {
  const decoded = decode(readFileSync(join(dir, "state.json"), "utf8"))
  if (decoded._tag !== "Ok") throw new Error(`the state file does not load: ${decoded._tag}`)
  return decoded.state
}

describe("a bad configuration never leaks a secret and never hangs", () => {
  it("credentials in a URL, or a key pasted into one, are not echoed: exit 2 naming what is wrong", async () => {
    const { radarr, sonarr } = await sims()
    const { env } = await daemonEnv(radarr, sonarr, {
      GATHERARR_TARGET_MOVIES_URL: `http://admin:pass-${RADARR_KEY}@radarr.lan:78787`,
      GATHERARR_TARGET_TV_URL: SONARR_KEY,
    })
    const bad = cleanup.launch(env)
    expect((await bad.exited).code).toBe(2)
    const text = bad.stderr.join("\n")
    expect(text).toContain("GATHERARR_TARGET_MOVIES_URL: must not carry credentials")
    expect(text).toContain("GATHERARR_TARGET_TV_URL: is not a URL")
    expect(text).not.toContain(RADARR_KEY)
    expect(text).not.toContain(SONARR_KEY)
    expect(text).not.toContain("admin")
  })

  it("a key that cannot be a header value (a two-line key file) is exit 2, naming the variable and the rule", async () => {
    const { radarr, sonarr } = await sims()
    const keyFile = join(tempDir("key"), "key")
    writeFileSync(keyFile, `${RADARR_KEY}\nline-two-${RADARR_KEY}\n`)
    const { env } = await daemonEnv(radarr, sonarr)
    const { GATHERARR_TARGET_MOVIES_API_KEY: _, ...rest } = env
    const bad = cleanup.launch({ ...rest, GATHERARR_TARGET_MOVIES_API_KEY_FILE: keyFile })
    expect((await bad.exited).code).toBe(2)
    expect(bad.stderr.join("\n")).toContain(
      "GATHERARR_TARGET_MOVIES_API_KEY_FILE: the key holds a line break, a control character or a character above U+00FF",
    )
    expect(bad.stderr.join("\n") + bad.stdout.join("\n")).not.toContain(RADARR_KEY)
  })

  it("a key file that is a FIFO, /dev/zero or a directory is exit 2 at once, naming what the path is", async () => {
    const { radarr, sonarr } = await sims()
    const dir = tempDir("key")
    execFileSync("mkfifo", [join(dir, "fifo")])
    mkdirSync(join(dir, "adir"))
    for (const [path, what] of [
      [join(dir, "fifo"), "is a FIFO (named pipe), not a regular file"],
      ["/dev/zero", "is a character device (such as /dev/zero), not a regular file"],
      [join(dir, "adir"), "is a directory"],
    ] as const) {
      const { env } = await daemonEnv(radarr, sonarr)
      const { GATHERARR_TARGET_MOVIES_API_KEY: _, ...rest } = env
      const started = Date.now()
      const bad = cleanup.launch({ ...rest, GATHERARR_TARGET_MOVIES_API_KEY_FILE: path })
      const { code, at } = await bad.exited
      expect(code).toBe(2)
      expect(at - started).toBeLessThan(5000)
      expect(bad.stderr.join("\n")).toContain(
        `GATHERARR_TARGET_MOVIES_API_KEY_FILE: ${JSON.stringify(path)} ${what}`,
      )
    }
  })

  it("1000 targets are read at once: /health answers, and SIGTERM ends the daemon on time", async () => {
    const { radarr, sonarr } = await sims()
    const names = Array.from({ length: 1000 }, (_, i) => `t${i}`)
    const { env, base } = await daemonEnv(radarr, sonarr, {
      GATHERARR_TARGETS: names.map((n) => `${n}:radarr`).join(","),
      GATHERARR_RUN_ON_START: "false",
      ...Object.fromEntries(
        names.flatMap((n) => [
          [`GATHERARR_TARGET_${n.toUpperCase()}_URL`, radarr.url],
          [`GATHERARR_TARGET_${n.toUpperCase()}_API_KEY`, RADARR_KEY],
        ]),
      ),
    })
    const {
      GATHERARR_TARGET_MOVIES_URL: _mu,
      GATHERARR_TARGET_MOVIES_API_KEY: _mk,
      GATHERARR_TARGET_TV_URL: _tu,
      GATHERARR_TARGET_TV_API_KEY: _tk,
      ...many
    } = env
    const gatherarr = cleanup.launch(many)
    expect(await (await waitForStatus(`${base}/health`, 200, 10_000)).text()).toBe("OK")
    const signalled = Date.now()
    gatherarr.child.kill("SIGTERM")
    const { code, at } = await gatherarr.exited
    expect(code).toBe(0)
    expect(at - signalled).toBeLessThan(3000)
  })
})

describe("answers of any size keep the daemon responsive", () => {
  it("while a page of many megabytes fails to decode, /health answers within a second", async () => {
    const { radarr, sonarr } = await sims()
    const record = (i: number) =>
      `{"id":${i},"title":"${"t".repeat(200)}","year":2001,"monitored":${i === 60_000 ? '"true"' : "true"},"isAvailable":true,"hasFile":false,"tags":[]}`
    const body = `{"page":1,"pageSize":250,"totalRecords":60000,"records":[${Array.from({ length: 60_000 }, (_, i) => record(i + 1)).join(",")}]}`
    radarr.inject({ kind: "body", path: "/wanted/missing", body, times: 1000 })
    const { env, base } = await daemonEnv(radarr, sonarr, {
      GATHERARR_REQUEST_TIMEOUT: "30s",
      GATHERARR_RETRY_ATTEMPTS: "0",
    })
    const gatherarr = cleanup.launch(env)
    await waitForStatus(`${base}/health`, 200)
    let slowest = 0
    let failed: Record<string, unknown> | undefined
    gatherarr
      .waitFor((l) => l.message === "run failed" && l.target_name === "movies", 60_000)
      .then((l) => {
        failed = l
      })
    while (!failed) {
      const asked = Date.now()
      const response = await fetch(`${base}/health`, { signal: AbortSignal.timeout(5000) })
      await response.text()
      slowest = Math.max(slowest, Date.now() - asked)
      await new Promise((r) => setTimeout(r, 50))
    }
    expect(slowest).toBeLessThan(1000)
    expect(failed.error).toBe(
      'movies: GET /wanted/missing: unexpected response shape: records[59999].monitored: expected boolean, got "true"',
    )
  }, 60_000)
})

describe("state that no name can corrupt", () => {
  it("a target named constructor runs, is recorded, and its state loads again after a restart", async () => {
    const { radarr, sonarr } = await sims()
    const { env, dir } = await daemonEnv(radarr, sonarr, {
      GATHERARR_TARGETS: "constructor:radarr,tv:sonarr",
      GATHERARR_TARGET_CONSTRUCTOR_URL: radarr.url,
      GATHERARR_TARGET_CONSTRUCTOR_API_KEY: RADARR_KEY,
    })
    const { GATHERARR_TARGET_MOVIES_URL: _u, GATHERARR_TARGET_MOVIES_API_KEY: _k, ...named } = env
    const first = cleanup.launch(named)
    await first.waitFor(() => outcomes(first, "constructor").length >= 2)
    first.child.kill("SIGTERM")
    expect((await first.exited).code).toBe(0)
    const state = stateOf(dir)
    expect(state.targets["constructor"]).toMatchObject({ lastStatus: "success", consecutiveFailures: 0 })
    expect(Object.keys(state.targets["constructor"]!.items)).toHaveLength(2)
    const before = radarr.commandBodies.map((b) => JSON.stringify(b))
    const second = cleanup.launch(named)
    await second.waitFor(() => outcomes(second, "constructor").length >= 2)
    second.child.kill("SIGTERM")
    await second.exited
    // Not moved aside as corrupt; the cooldowns held.
    expect(readdirSync(dir).filter((f) => f.includes("corrupt"))).toEqual([])
    expect(second.logs().filter((l) => l.level === "warn" || l.level === "error")).toEqual([])
    for (const body of radarr.commandBodies.slice(before.length))
      expect(before).not.toContain(JSON.stringify(body))
    expect(stateOf(dir).totalRuns).toBe(4)
  })

  it("a symlinked GATHERARR_STATE_PATH is written through: the link stays, the real file is updated", async () => {
    const { radarr, sonarr } = await sims()
    const { env, dir } = await daemonEnv(radarr, sonarr)
    const volume = tempDir("volume")
    symlinkSync(join(volume, "real.json"), join(dir, "state.json"))
    const gatherarr = cleanup.launch(env)
    await gatherarr.waitFor(() => outcomes(gatherarr, "movies").length >= 2)
    gatherarr.child.kill("SIGTERM")
    expect((await gatherarr.exited).code).toBe(0)
    expect(lstatSync(join(dir, "state.json")).isSymbolicLink()).toBe(true)
    const real = decode(readFileSync(join(volume, "real.json"), "utf8"))
    expect(real._tag === "Ok" && real.state.totalRuns).toBe(2)
    expect(readdirSync(dir)).toEqual(["state.json"])
    expect(readdirSync(volume)).toEqual(["real.json"])
  })
})

describe("one daemon per state file", () => {
  it("a second daemon on the same state exits 1 naming the path and the holder; the first goes on", async () => {
    const { radarr, sonarr } = await sims()
    const { env, dir } = await daemonEnv(radarr, sonarr)
    const first = cleanup.launch(env)
    await first.waitFor(() => outcomes(first, "movies").length >= 2)
    const second = cleanup.launch({ ...env, GATHERARR_HTTP_PORT: "0" })
    expect((await second.exited).code).toBe(1)
    const error = second.logs().find((l) => l.level === "error")
    expect(error?.error).toMatch(
      new RegExp(
        `^GATHERARR_STATE_PATH: ${join(dir, "state.json").replace(/[.]/g, "\\.")} is in use by another Gatherarr \\(pid ${first.child.pid} on host ${hostname()}, since 20\\d\\d-`,
      ),
    )
    expect(radarr.commandBodies).toHaveLength(2)
    first.child.kill("SIGTERM")
    expect((await first.exited).code).toBe(0)
    expect(existsSync(join(dir, "state.json.lock"))).toBe(false)
  })

  it("two daemons started together on one directory: one runs, the other exits 1, searches are not doubled", async () => {
    const { radarr, sonarr } = await sims()
    const { env } = await daemonEnv(radarr, sonarr, { GATHERARR_MAX_SEARCHES_PER_HOUR: "4" })
    const both = [cleanup.launch(env), cleanup.launch({ ...env, GATHERARR_HTTP_PORT: "0" })]
    const exited = await Promise.race(both.map((d) => d.exited.then((e) => ({ d, e }))))
    expect(exited.e.code).toBe(1)
    const running = both.find((d) => d !== exited.d)!
    await running.waitFor(
      () => outcomes(running, "movies").length >= 2 && outcomes(running, "tv").length >= 2,
    )
    expect(radarr.commandBodies.length + sonarr.commandBodies.length).toBe(4)
  })

  it("a lock left by a process that is gone is taken over: a dead pid here, or a heartbeat that stopped elsewhere", async () => {
    const { radarr, sonarr } = await sims()
    for (const holder of [
      { pid: 2 ** 22 + 17, host: hostname(), age: 0 },
      { pid: 1, host: "another-container", age: 3_600 },
    ]) {
      const { env, dir } = await daemonEnv(radarr, sonarr)
      const lock = join(dir, "state.json.lock")
      writeFileSync(
        lock,
        JSON.stringify({
          pid: holder.pid,
          host: holder.host,
          since: "2026-01-01T00:00:00.000Z",
          token: "old",
        }),
      )
      const then = Date.now() / 1000 - holder.age
      utimesSync(lock, then, then)
      const gatherarr = cleanup.launch(env)
      await gatherarr.waitFor(() => outcomes(gatherarr, "movies").length >= 1)
      expect(gatherarr.logs()).toContainEqual(
        expect.objectContaining({
          level: "warn",
          message: "took over the state lock of a Gatherarr that is gone",
        }),
      )
      expect(JSON.parse(readFileSync(lock, "utf8"))).toMatchObject({
        pid: gatherarr.child.pid,
        host: hostname(),
      })
      gatherarr.child.kill("SIGTERM")
      await gatherarr.exited
    }
  })

  it("PID 1 in two containers on one volume: a lock whose heartbeat goes on is held; one whose heartbeat stops is taken over", async () => {
    const { radarr, sonarr } = await sims()
    const { env, dir } = await daemonEnv(radarr, sonarr)
    const lock = join(dir, "state.json.lock")
    writeFileSync(
      lock,
      JSON.stringify({ pid: 1, host: "container-a", since: "2026-01-01T00:00:00.000Z", token: "a" }),
    )
    // A live holder elsewhere: it touches its lock every second.
    const beating = setInterval(() => utimesSync(lock, new Date(), new Date()), 1000)
    cleanup.push(async () => clearInterval(beating))
    const blocked = cleanup.launch(env)
    expect((await blocked.exited).code).toBe(1)
    expect(blocked.logs().find((l) => l.level === "error")?.error).toContain("(pid 1 on host container-a")
    // The holder dies: its heartbeat stops, and the lock is taken over once it is stale.
    clearInterval(beating)
    const taking = cleanup.launch(env)
    await taking.waitFor(() => outcomes(taking, "movies").length >= 1, 40_000)
    expect(radarr.commandBodies.length).toBeGreaterThan(0)
  }, 60_000)
})

describe("signals and paths", () => {
  it("SIGHUP is a graceful stop like SIGTERM: the search in flight gets its outcome, the state is written, exit 0", async () => {
    const { radarr, sonarr } = await sims({ commandRunMs: 1200, grabProbability: 1 })
    const { env, dir } = await daemonEnv(radarr, sonarr, {
      GATHERARR_TARGETS: "movies:radarr",
      GATHERARR_MAX_SEARCHES_PER_RUN: "1",
      GATHERARR_SHUTDOWN_TIMEOUT: "6s",
    })
    const { GATHERARR_TARGET_TV_URL: _u, GATHERARR_TARGET_TV_API_KEY: _k, ...movies } = env
    const gatherarr = cleanup.launch(movies)
    await gatherarr.waitFor((l) => l.message === "search command sent")
    gatherarr.child.kill("SIGHUP")
    const { code, signal } = await gatherarr.exited
    expect({ code, signal }).toEqual({ code: 0, signal: null })
    expect(Object.values(stateOf(dir).targets.movies!.items)).toMatchObject([{ lastResult: "grabbed" }])
  })

  it("only /health and /metrics, exactly: other cases, trailing or doubled slashes are 404", async () => {
    const { radarr, sonarr } = await sims()
    const { env, base } = await daemonEnv(radarr, sonarr)
    cleanup.launch(env)
    await waitForStatus(`${base}/health`, 200)
    for (const path of ["/HEALTH", "/health/", "//health", "/METRICS", "/metrics/", "/Health", "/health//"]) {
      const response = await rawGet(base, path)
      expect({ path, status: response }).toEqual({ path, status: 404 })
    }
    expect(await rawGet(base, "/health?probe=1")).toBe(200)
    expect(await rawGet(base, "/metrics")).toBe(200)
  })
})

describe("searches the app cannot run, end to end", () => {
  it("indexers down: no search, one WARN with the app's message and the next try, visible in /metrics; then back", async () => {
    const { radarr, sonarr } = await sims()
    radarr.health = indexersFailing("radarr")
    const { env, base, dir } = await daemonEnv(radarr, sonarr)
    const gatherarr = cleanup.launch(env)
    const warn = await gatherarr.waitFor(
      (l) => l.target_name === "movies" && String(l.message).startsWith("no indexer can search"),
    )
    expect(warn).toMatchObject({
      level: "warn",
      app_message: "All indexers are unavailable due to failures",
      next_run_in: expect.stringMatching(/^3\d?s/),
      next_run_at: expect.stringMatching(/^20\d\d-/),
    })
    expect(radarr.count("/command", "POST")).toBe(0)
    const metrics = await (await fetch(`${base}/metrics`)).text()
    expect(metrics).toContain('gatherarr_indexers_unavailable{target="movies",type="radarr"} 1')
    expect(metrics).toContain('gatherarr_run_total{target="movies",type="radarr",status="failure"} 1')
    await gatherarr.waitFor(() => outcomes(gatherarr, "tv").length >= 2)
    expect(stateOf(dir).searches.length).toBe(2) // the Sonarr's only
    // Back: the next run (after the 30 s failure backoff) searches.
    radarr.health = []
    await gatherarr.waitFor(() => outcomes(gatherarr, "movies").length >= 2, 45_000)
    expect(await (await fetch(`${base}/metrics`)).text()).toContain(
      'gatherarr_indexers_unavailable{target="movies",type="radarr"} 0',
    )
  }, 60_000)
})

/** The status of a GET sent as written (fetch would normalise the path). */
const rawGet = (base: string, path: string) =>
  new Promise<number>((resolve, reject) => {
    const { port } = new URL(base)
    const curl = spawn(process.execPath, [
      "-e",
      `require("node:http").get({ host: "127.0.0.1", port: ${port}, path: ${JSON.stringify(path)} }, (r) => { console.log(r.statusCode); r.resume() })`,
    ])
    let out = ""
    curl.stdout.on("data", (d) => {
      out += d
    })
    curl.on("exit", () => (out ? resolve(Number(out.trim())) : reject(new Error("no answer"))))
  })
