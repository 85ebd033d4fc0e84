import { copyFileSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { createServer } from "node:net"
import { dirname, join } from "node:path"
import { afterEach, describe, expect, it } from "vitest"
import { decode } from "../../src/StateFile.ts"
import { ALLOWED_COMMANDS } from "../support/harness.ts"
import { cleanupList, daemonEnv, MAIN, type Running, startMain, waitForStatus } from "../support/process.ts"
import { promtool, requirePromtool } from "../support/promtool.ts"
import { Simulator } from "../support/simulator.ts"
import { tempDir } from "../support/temp.ts"

const DIST = dirname(MAIN)
const RADARR_KEY = "radarr-KEY-e2e-7f3a9c"
const SONARR_KEY = "sonarr-KEY-e2e-2b8d41"

const cleanup = cleanupList()
afterEach(cleanup.run)

const setup = async (
  extra: Record<string, string> = {},
  sims: { radarr?: Partial<Parameters<typeof Simulator.start>[0]> } = {},
) => {
  const radarr = await Simulator.start({
    app: "radarr",
    apiKey: RADARR_KEY,
    movies: 40,
    grabProbability: 0.5,
    ...sims.radarr,
  })
  const sonarr = await Simulator.start({ app: "sonarr", apiKey: SONARR_KEY, series: 6, grabProbability: 0.5 })
  cleanup.push(
    () => radarr.close(),
    () => sonarr.close(),
  )
  const { dir, env, base } = await daemonEnv(radarr, sonarr, extra)
  const run = (without: ReadonlyArray<string> = []) =>
    cleanup.launch(Object.fromEntries(Object.entries(env).filter(([k]) => !without.includes(k))))
  return { radarr, sonarr, dir, env, base, run }
}

const outcomes = (running: Running, target: string) =>
  running
    .logs()
    .filter((l) => l.target_name === target && (l.result === "grabbed" || l.result === "not_found"))

const waitForOutcomes = (running: Running, target: string, count: number) =>
  running.waitFor(() => outcomes(running, target).length >= count)

describe("gatherarr (dist/main.js)", () => {
  it("runs a cycle: searches, records state, serves /metrics and /health, logs JSON, stops cleanly on SIGTERM", async () => {
    const { radarr, sonarr, dir, base, run } = await setup()
    const gatherarr = run()
    await waitForOutcomes(gatherarr, "movies", 2)
    await waitForOutcomes(gatherarr, "tv", 2)

    const health = await waitForStatus(`${base}/health`, 200)
    expect(await health.text()).toBe("OK")
    const metrics = await (await fetch(`${base}/metrics`)).text()
    expect(metrics).toContain('gatherarr_run_total{target="movies",type="radarr",status="success"} 1')
    expect(metrics).toContain('gatherarr_run_total{target="tv",type="sonarr",status="success"} 1')
    expect((await fetch(`${base}/nothing`)).status).toBe(404)

    // Only MoviesSearch and SeasonSearch, two per target.
    expect(radarr.commandBodies.map((b) => b.name)).toEqual(["MoviesSearch", "MoviesSearch"])
    expect(sonarr.commandBodies.map((b) => b.name)).toEqual(["SeasonSearch", "SeasonSearch"])

    const signalled = Date.now()
    gatherarr.child.kill("SIGTERM")
    const { code, at } = await gatherarr.exited
    expect(code).toBe(0)
    expect(at - signalled).toBeLessThan(3000)

    // Every stdout line is a JSON object with timestamp, level and message.
    const lines = gatherarr.logs()
    for (const line of lines) {
      expect(line).toMatchObject({
        timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        level: expect.any(String),
        message: expect.any(String),
      })
    }
    // INFO is only for actions on a target: searches sent and their outcomes, each with its item.
    const info = lines.filter((l) => l.level === "info")
    expect(info).toHaveLength(8)
    for (const line of info) {
      expect(["search command sent", "search grabbed a release", "search found nothing"]).toContain(
        line.message,
      )
      expect(line).toMatchObject({
        target_name: expect.any(String),
        target_type: expect.any(String),
        run_id: expect.any(String),
        command_id: expect.any(Number),
      })
      if (line.target_type === "radarr") expect(line.movie_id).toEqual(expect.any(Number))
      else expect(line).toMatchObject({ series_id: expect.any(Number), season_number: expect.any(Number) })
    }

    // The state file holds the searches and their outcomes.
    const stateText = readFileSync(join(dir, "state.json"), "utf8")
    const state = decode(stateText)
    if (state._tag !== "Ok") throw new Error(`state does not load: ${JSON.stringify(state)}`)
    expect(state.state.totalRuns).toBe(2)
    expect(state.state.searches).toHaveLength(4)
    for (const target of ["movies", "tv"]) {
      const entry = state.state.targets[target]!
      expect(entry).toMatchObject({
        lastStatus: "success",
        consecutiveFailures: 0,
        lastSuccessAt: expect.any(String),
      })
      expect(
        Object.values(entry.items)
          .map((i) => i.lastResult)
          .sort(),
      ).toEqual(
        outcomes(gatherarr, target)
          .map((l) => l.result)
          .sort(),
      )
    }
    expect(readdirSync(dir)).toEqual(["state.json"])

    // No key anywhere.
    for (const text of [gatherarr.stdout.join("\n"), gatherarr.stderr.join("\n"), metrics, stateText]) {
      expect(text).not.toContain(RADARR_KEY)
      expect(text).not.toContain(SONARR_KEY)
    }
  })

  it("promtool accepts /metrics after a run", async (context) => {
    requirePromtool(context)
    const { base, run } = await setup()
    const gatherarr = run()
    await waitForOutcomes(gatherarr, "movies", 2)
    const check = promtool(["check", "metrics"], await (await fetch(`${base}/metrics`)).text())
    expect(check.stdout + check.stderr).toBe("")
    expect(check.status).toBe(0)
  })

  it("a restart recovers the state: cooldowns and the hourly cap survive", async () => {
    const { radarr, sonarr, base, run } = await setup({ GATHERARR_MAX_SEARCHES_PER_HOUR: "6" })
    const first = run()
    await waitForOutcomes(first, "movies", 2)
    await waitForOutcomes(first, "tv", 2)
    first.child.kill("SIGTERM")
    expect((await first.exited).code).toBe(0)
    const searchedBefore = radarr.commandBodies.map((b) => JSON.stringify(b))

    const second = run()
    await second.waitFor(() => outcomes(second, "movies").length + outcomes(second, "tv").length >= 2)
    await waitForStatus(`${base}/health`, 200)
    await new Promise((r) => setTimeout(r, 500))
    second.child.kill("SIGTERM")
    expect((await second.exited).code).toBe(0)
    // 4 searches before the restart, a cap of 6 per hour: only 2 more, and none of the same movies.
    const total = radarr.commandBodies.length + sonarr.commandBodies.length
    expect(total).toBe(6)
    const searchedAfter = radarr.commandBodies.slice(searchedBefore.length).map((b) => JSON.stringify(b))
    for (const body of searchedAfter) expect(searchedBefore).not.toContain(body)
    expect(new Set(sonarr.commandBodies.map((b) => JSON.stringify(b))).size).toBe(sonarr.commandBodies.length)
    for (const body of [...radarr.commandBodies, ...sonarr.commandBodies])
      expect(ALLOWED_COMMANDS).toContain(body.name)
  })

  it("SIGTERM during a search exits 0 within GATHERARR_SHUTDOWN_TIMEOUT, and the state says it was searched", async () => {
    const { dir, run } = await setup(
      {
        GATHERARR_TARGETS: "movies:radarr",
        GATHERARR_COMMAND_TIMEOUT: "5m",
        GATHERARR_MAX_SEARCHES_PER_RUN: "1",
      },
      { radarr: { commandQueuedMs: Number.POSITIVE_INFINITY } },
    )
    const gatherarr = run(["GATHERARR_TARGET_TV_URL", "GATHERARR_TARGET_TV_API_KEY"])
    await gatherarr.waitFor((l) => l.message === "search command sent")
    const signalled = Date.now()
    gatherarr.child.kill("SIGTERM")
    const { code, at } = await gatherarr.exited
    expect(code).toBe(0)
    expect(at - signalled).toBeLessThan(3000)
    const state = decode(readFileSync(join(dir, "state.json"), "utf8"))
    expect(state._tag).toBe("Ok")
    if (state._tag === "Ok") {
      expect(Object.values(state.state.targets.movies!.items)).toMatchObject([{ lastResult: "searching" }])
    }
  })

  it("SIGTERM lets an in-flight search finish: /health turns 503, no new search starts, the outcome is recorded, exit 0", async () => {
    const { dir, base, radarr, run } = await setup(
      {
        GATHERARR_TARGETS: "movies:radarr",
        GATHERARR_MAX_SEARCHES_PER_RUN: "3",
        GATHERARR_CONCURRENCY: "1",
        GATHERARR_SHUTDOWN_TIMEOUT: "6s",
      },
      { radarr: { commandRunMs: 1200, grabProbability: 1 } },
    )
    const gatherarr = run(["GATHERARR_TARGET_TV_URL", "GATHERARR_TARGET_TV_API_KEY"])
    const sent = await gatherarr.waitFor((l) => l.message === "search command sent")
    const signalled = Date.now()
    gatherarr.child.kill("SIGTERM")
    const health = await waitForStatus(`${base}/health`, 503)
    expect(await health.text()).toMatch(/^unhealthy: /)
    const { code, at } = await gatherarr.exited
    expect(code).toBe(0)
    expect(at - signalled).toBeLessThan(6000)
    // The search in flight got its outcome; the other two picks were never sent.
    expect(radarr.commandBodies).toHaveLength(1)
    const outcome = gatherarr.logs().find((l) => l.result !== undefined)
    expect(outcome).toMatchObject({
      message: "search grabbed a release",
      movie_id: sent.movie_id,
      result: "grabbed",
    })
    const state = decode(readFileSync(join(dir, "state.json"), "utf8"))
    expect(state._tag).toBe("Ok")
    if (state._tag === "Ok") {
      expect(state.state.targets.movies!.items[`movie:${sent.movie_id}`]).toMatchObject({
        lastResult: "grabbed",
      })
    }
  })

  it("starts through the build's code cache; a missing or foreign cache only costs time", async () => {
    const { env, base } = await setup({ GATHERARR_LOG_LEVEL: "debug" })
    const codeCache = async (main?: string) => {
      const gatherarr = cleanup.launch(env, main)
      const starting = await gatherarr.waitFor((l) => l.message === "starting")
      await waitForStatus(`${base}/health`, 200)
      gatherarr.child.kill("SIGTERM")
      expect((await gatherarr.exited).code).toBe(0)
      return starting.code_cache
    }
    expect(await codeCache()).toBe("accepted")
    // The same build elsewhere, with a cache from another Node (here: garbage), then with none.
    const dir = tempDir("launch")
    for (const file of ["main.js", "gatherarr.cjs"]) copyFileSync(join(DIST, file), join(dir, file))
    writeFileSync(join(dir, "package.json"), '{"type":"module"}')
    writeFileSync(join(dir, "gatherarr.cache"), Buffer.alloc(4096, 7))
    expect(await codeCache(join(dir, "main.js"))).toBe("rejected")
    rmSync(join(dir, "gatherarr.cache"))
    expect(await codeCache(join(dir, "main.js"))).toBe("absent")
  })

  it("a bad configuration exits 2 with every problem on stderr, and never echoes a key", async () => {
    const gatherarr = startMain({
      GATHERARR_TARGETS: "movies:radarr,tv:sonarr",
      GATHERARR_TARGET_MOVIES_URL: "htp://x",
      GATHERARR_TARGET_MOVIES_API_KEY: RADARR_KEY,
      GATHERARR_TARGET_TV_URL: "http://sonarr:8989",
      GATHERARR_TARGET_TV_API_KEY: SONARR_KEY,
      GATHERARR_TARGET_TV_API_KEY_FILE: "/nonexistent",
      GATHERARR_INTERVAL: "10s",
    })
    const { code } = await gatherarr.exited
    expect(code).toBe(2)
    expect(gatherarr.stderr.filter((l) => l !== "")).toEqual([
      "gatherarr: invalid configuration",
      'GATHERARR_INTERVAL: "10s" is shorter than the minimum of 1m',
      "GATHERARR_TARGET_MOVIES_URL: has the scheme htp; use http or https",
      "GATHERARR_TARGET_TV_API_KEY: set either GATHERARR_TARGET_TV_API_KEY or GATHERARR_TARGET_TV_API_KEY_FILE, not both",
    ])
    expect(gatherarr.stdout.join("")).toBe("")
  })

  it("a missing state directory stops start-up with a clear error", async () => {
    const { run, env } = await setup({ GATHERARR_STATE_PATH: "/nonexistent-gatherarr/state.json" })
    void env
    const gatherarr = run()
    const { code } = await gatherarr.exited
    expect(code).toBe(1)
    expect(gatherarr.logs()).toContainEqual(
      expect.objectContaining({
        level: "error",
        message: "Gatherarr cannot start",
        error:
          "GATHERARR_STATE_PATH: the directory /nonexistent-gatherarr does not exist (create it, or mount a volume there)",
      }),
    )
  })

  it("/health never hangs during start-up: refused, 503 or 200, each answer quick", async () => {
    const { base, run } = await setup()
    const gatherarr = run()
    const answers: Array<string> = []
    const deadline = Date.now() + 5000
    while (Date.now() < deadline) {
      const started = Date.now()
      const answer = await fetch(`${base}/health`, { signal: AbortSignal.timeout(1000) }).then(
        async (r) => `${r.status} ${await r.text()}`,
        (e: Error) => (e.name === "TimeoutError" ? "hung" : "refused"),
      )
      expect(Date.now() - started).toBeLessThan(1000)
      answers.push(answer)
      if (answer === "200 OK") break
    }
    expect(answers).not.toContain("hung")
    expect(answers.at(-1)).toBe("200 OK")
    for (const answer of answers)
      expect(["refused", "200 OK", "503 unhealthy: starting or stopping"]).toContain(answer)
    gatherarr.child.kill("SIGTERM")
    expect((await gatherarr.exited).code).toBe(0)
  })

  it("a port already in use stops start-up with a clear error, before any search", async () => {
    const { radarr, run, env } = await setup()
    const blocker = createServer().listen(Number(env.GATHERARR_HTTP_PORT), "127.0.0.1")
    await new Promise((r) => blocker.once("listening", r))
    cleanup.push(() => new Promise((r) => blocker.close(r)))
    const gatherarr = run()
    expect((await gatherarr.exited).code).toBe(1)
    expect(gatherarr.logs()).toContainEqual(
      expect.objectContaining({
        level: "error",
        error: expect.stringMatching(
          /^GATHERARR_HTTP_HOST\/GATHERARR_HTTP_PORT: cannot listen on 127\.0\.0\.1:\d+ \(listen EADDRINUSE/,
        ),
      }),
    )
    expect(radarr.requests).toEqual([])
  })

  it("an app that is down keeps /health truthful and other targets running, and recovers", async () => {
    const { radarr, run } = await setup({ GATHERARR_RETRY_ATTEMPTS: "0" })
    radarr.inject({ kind: "status", status: 503, times: 1_000 })
    const gatherarr = run()
    await waitForOutcomes(gatherarr, "tv", 2)
    const failed = await gatherarr.waitFor((l) => l.message === "run failed" && l.target_name === "movies")
    expect(failed).toMatchObject({
      level: "warn",
      error: "movies: GET /system/status: unexpected status 503: injected fault",
    })
    gatherarr.child.kill("SIGTERM")
    expect((await gatherarr.exited).code).toBe(0)
  })
})
