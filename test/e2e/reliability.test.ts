import { existsSync, readFileSync, writeFileSync } from "node:fs"
import { connect } from "node:net"
import { join } from "node:path"
import { afterEach, describe, expect, it } from "vitest"
import { decode } from "../../src/StateFile.ts"
import { cleanupList, daemonEnv, type Running, waitForStatus } from "../support/process.ts"
import { Simulator } from "../support/simulator.ts"
import { tempDir } from "../support/temp.ts"

const RADARR_KEY = "rAdArR-dIsTiNcT-key-8e31f0c2"
const SONARR_KEY = "sOnArR-dIsTiNcT-key-4b77a9d1"

const cleanup = cleanupList()
afterEach(cleanup.run)

const sims = async () => {
  const radarr = await Simulator.start({ app: "radarr", apiKey: RADARR_KEY, movies: 30 })
  const sonarr = await Simulator.start({ app: "sonarr", apiKey: SONARR_KEY, series: 5 })
  cleanup.push(
    () => radarr.close(),
    () => sonarr.close(),
  )
  return { radarr, sonarr }
}

const launch = cleanup.launch

const baseEnv = daemonEnv

const outcomes = (running: Running, target: string) =>
  running
    .logs()
    .filter((l) => l.target_name === target && (l.result === "grabbed" || l.result === "not_found"))

describe("faults, end to end", () => {
  it("an app down at start-up: logged, backed off, other targets unaffected, /health truthful, recovers by itself", async () => {
    const { radarr, sonarr } = await sims()
    radarr.inject({ kind: "status", status: 503, times: 1_000_000 })
    const { env, base } = await baseEnv(radarr, sonarr, { GATHERARR_RETRY_ATTEMPTS: "1" })
    const gatherarr = launch(env)
    const failed = await gatherarr.waitFor((l) => l.message === "run failed" && l.target_name === "movies")
    expect(failed).toMatchObject({
      level: "warn",
      error: "movies: GET /system/status: unexpected status 503: injected fault",
      target_type: "radarr",
    })
    await gatherarr.waitFor(() => outcomes(gatherarr, "tv").length >= 2)
    // The app is down, but Gatherarr is healthy: its loops run.
    expect(await (await waitForStatus(`${base}/health`, 200)).text()).toBe("OK")
    const metrics = await (await fetch(`${base}/metrics`)).text()
    expect(metrics).toContain('gatherarr_run_total{target="movies",type="radarr",status="failure"} 1')
    expect(metrics).toMatch(/gatherarr_request_errors_total\{target="movies",type="radarr"\} 2\n/)
    // The app comes back; after the first backoff (30 s) the next run succeeds.
    radarr.faults.length = 0
    await gatherarr.waitFor(() => outcomes(gatherarr, "movies").length >= 2, 45_000)
    expect(radarr.count("/system/status")).toBe(3)
    gatherarr.child.kill("SIGTERM")
    expect((await gatherarr.exited).code).toBe(0)
  }, 60_000)

  // Before ~100 ms Node itself is still starting and no JavaScript runs yet to catch a signal.
  it.each([120, 180, 250, 400, 700, 1200])(
    "SIGTERM %i ms after start (start-up, first run, state writes): exit 0 within the timeout, a state file that loads",
    async (delay) => {
      const { radarr, sonarr } = await sims()
      const { env, dir } = await baseEnv(radarr, sonarr)
      const gatherarr = launch(env)
      await new Promise((r) => setTimeout(r, delay))
      const signalled = Date.now()
      gatherarr.child.kill("SIGTERM")
      const { code, signal, at } = await gatherarr.exited
      expect({ code, signal }).toEqual({ code: 0, signal: null })
      expect(at - signalled).toBeLessThan(3000)
      const path = join(dir, "state.json")
      if (existsSync(path)) expect(decode(readFileSync(path, "utf8"))._tag).toBe("Ok")
    },
  )
})

describe("secrets", () => {
  it("no API key, nor its header value, appears in stdout, stderr, /metrics, /health or the state file, on any error path", async () => {
    const { radarr, sonarr } = await sims()
    const keyFile = join(tempDir("key"), "key")
    writeFileSync(keyFile, `${SONARR_KEY}\n\n`)
    // One Radarr per fault, with the same key: a hang, a reset, 5xx, malformed JSON, an HTML page.
    const faulty = await Promise.all(
      (["hang", "reset", "status", "malformed", "html"] as const).map(async (kind) => {
        const sim = await Simulator.start({ app: "radarr", apiKey: RADARR_KEY, movies: 5 })
        cleanup.push(() => sim.close())
        sim.inject(kind === "status" ? { kind, status: 500, times: 100 } : { kind, times: 100 })
        return [kind, sim] as const
      }),
    )
    const { env, base, dir } = await baseEnv(radarr, sonarr, {
      GATHERARR_LOG_LEVEL: "debug",
      GATHERARR_REQUEST_TIMEOUT: "200ms",
      GATHERARR_RETRY_ATTEMPTS: "1",
      GATHERARR_TARGETS: `movies:radarr,tv:sonarr,${faulty.map(([kind]) => `f_${kind}:radarr`).join(",")}`,
      GATHERARR_TARGET_TV_API_KEY_FILE: keyFile,
      ...Object.fromEntries(
        faulty.flatMap(([kind, sim]) => [
          [`GATHERARR_TARGET_F_${kind.toUpperCase()}_URL`, sim.url],
          [`GATHERARR_TARGET_F_${kind.toUpperCase()}_API_KEY`, RADARR_KEY],
        ]),
      ),
    })
    const { GATHERARR_TARGET_TV_API_KEY: _, ...withFile } = env
    sonarr.apiKey = "rotated" // 401 for the key from the file
    const gatherarr = launch(withFile)
    for (const target of ["tv", ...faulty.map(([kind]) => `f_${kind}`)]) {
      await gatherarr.waitFor((l) => l.message === "run failed" && l.target_name === target)
    }
    await gatherarr.waitFor(() => outcomes(gatherarr, "movies").length >= 2)
    const texts = [
      gatherarr.stdout.join("\n"),
      gatherarr.stderr.join("\n"),
      await (await fetch(`${base}/metrics`)).text(),
      await (await fetch(`${base}/health`)).text(),
    ]
    gatherarr.child.kill("SIGTERM")
    await gatherarr.exited
    texts.push(readFileSync(join(dir, "state.json"), "utf8"))
    // And a bad configuration that holds the keys.
    const bad = launch({
      ...env,
      GATHERARR_TARGET_MOVIES_API_KEY_FILE: keyFile,
      GATHERARR_TARGET_MOVIES_URL: "nope",
    })
    await bad.exited
    texts.push(bad.stdout.join("\n"), bad.stderr.join("\n"))
    expect(bad.stderr.join("\n")).toContain("GATHERARR_TARGET_MOVIES_API_KEY: set either")
    for (const text of texts) {
      expect(text).not.toContain(RADARR_KEY)
      expect(text).not.toContain(SONARR_KEY)
      expect(text.toLowerCase()).not.toMatch(/x-api-key["']?\s*[:=]\s*["']?[a-z0-9]/)
    }
    // The logs did go through those paths.
    for (const expected of [
      "the API key was rejected (401 Unauthorized)",
      "no answer within 200ms",
      "connection lost while reading the response|request failed",
      "unexpected status 500",
      "the body is not valid JSON",
      "expected JSON but got text/html",
    ]) {
      expect(texts[0]).toMatch(new RegExp(expected.replace(/[()]/g, "\\$&")))
    }
  }, 30_000)
})

describe("the HTTP server under hostile clients", () => {
  it("unknown paths and methods are 404, huge headers are refused, a slow client blocks nobody; answers leak nothing", async () => {
    const { radarr, sonarr } = await sims()
    const { env, base } = await baseEnv(radarr, sonarr)
    const gatherarr = launch(env)
    await waitForStatus(`${base}/health`, 200)
    const port = Number(new URL(base).port)

    // A client that sends half a request and then nothing.
    const slow = connect(port, "127.0.0.1")
    slow.write("GET /metrics HTTP/1.1\r\nHost: x\r\n")
    cleanup.push(async () => slow.destroy())

    for (const [method, path] of [
      ["POST", "/"],
      ["GET", "/admin"],
      ["GET", "/../etc/passwd"],
      ["PUT", "/health"],
      ["POST", "/metrics"],
      ["PATCH", "/metrics"],
    ] as const) {
      const response = await fetch(`${base}${path}`, { method })
      expect(response.status).toBe(404)
      expect(await response.text()).not.toMatch(/KEY|Error|at /)
    }
    const huge = await fetch(`${base}/health`, { headers: { "x-junk": "x".repeat(100_000) } }).catch(
      () => undefined,
    )
    expect(huge === undefined || huge.status === 431).toBe(true)
    // Still serving, while the slow client hangs on.
    expect(await (await fetch(`${base}/health`)).text()).toBe("OK")
    const metrics = await (await fetch(`${base}/metrics`)).text()
    for (const line of metrics.split("\n").filter((l) => l !== "" && !l.startsWith("#"))) {
      expect(line).toMatch(
        /^gatherarr_[a-z_]+(\{[a-z_]+="[a-z0-9_.+]+"(,[a-z_]+="[a-z0-9_.+A-Za-z]+")*\})? [0-9.e+-]+$/,
      )
    }
    gatherarr.child.kill("SIGTERM")
    expect((await gatherarr.exited).code).toBe(0)
  })
})
