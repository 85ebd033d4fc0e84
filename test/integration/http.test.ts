import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { settings, targetFor } from "../support/harness.ts"
import { Simulator } from "../support/simulator.ts"
import { serveStandalone } from "../support/standalone.ts"

/** The standalone composition (as in main.ts), on an ephemeral port, in this process. */
let radarr: Simulator
let sonarr: Simulator
let stop: () => Promise<void>
let base: string

beforeAll(async () => {
  radarr = await Simulator.start({ app: "radarr", movies: 30, apiKey: "k-radarr-SECRET" })
  sonarr = await Simulator.start({ app: "sonarr", series: 5, apiKey: "k-sonarr-SECRET" })
  const config = settings([
    targetFor(radarr, "movies", { maxSearchesPerRun: 2 }),
    targetFor(sonarr, "tv", { maxSearchesPerRun: 2 }),
  ])
  const served = await serveStandalone(config)
  base = served.base
  stop = served.stop
})

afterAll(async () => {
  await stop()
  await radarr.close()
  await sonarr.close()
})

const waitFor = async (check: () => Promise<boolean>) => {
  for (let i = 0; i < 200; i++) {
    if (await check()) return
    await new Promise((r) => setTimeout(r, 25))
  }
  throw new Error("condition not reached")
}

describe("HTTP server", () => {
  it("GET /health answers 200 OK once the scheduler runs", async () => {
    const response = await fetch(`${base}/health`)
    expect(response.status).toBe(200)
    expect(await response.text()).toBe("OK")
  })

  it("GET /metrics has every metric, with exactly the documented labels", async () => {
    await waitFor(
      async () => (await (await fetch(`${base}/metrics`)).text()).split('status="success"} 1').length === 3,
    )
    const response = await fetch(`${base}/metrics`)
    expect(response.status).toBe(200)
    expect(response.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/)
    const text = await response.text()
    for (const [name, type] of [
      ["gatherarr_run_total", "counter"],
      ["gatherarr_requests_total", "counter"],
      ["gatherarr_searches_total", "counter"],
      ["gatherarr_grabs_total", "counter"],
      ["gatherarr_skips_total", "counter"],
      ["gatherarr_request_errors_total", "counter"],
      ["gatherarr_request_duration_seconds", "histogram"],
      ["gatherarr_last_success_timestamp_seconds", "gauge"],
      ["gatherarr_state_write_failures_total", "counter"],
    ]) {
      expect(text).toContain(`# TYPE ${name} ${type}`)
    }
    for (const [target, type] of [
      ["movies", "radarr"],
      ["tv", "sonarr"],
    ]) {
      const labels = `target="${target}",type="${type}"`
      expect(text).toMatch(new RegExp(`gatherarr_run_total\\{${labels},status="success"\\} 1\\n`))
      expect(text).toMatch(new RegExp(`gatherarr_run_total\\{${labels},status="failure"\\} 0\\n`))
      expect(text).toMatch(new RegExp(`gatherarr_requests_total\\{${labels}\\} [1-9]\\d*\\n`))
      expect(text).toMatch(new RegExp(`gatherarr_request_errors_total\\{${labels}\\} 0\\n`))
      expect(text).toMatch(new RegExp(`gatherarr_searches_total\\{${labels}\\} 2\\n`))
      expect(text).toMatch(new RegExp(`gatherarr_request_duration_seconds_count\\{${labels}\\} [1-9]`))
      expect(text).toMatch(new RegExp(`gatherarr_request_duration_seconds_bucket\\{${labels},le="\\+Inf"\\}`))
      expect(text).toMatch(
        new RegExp(`gatherarr_last_success_timestamp_seconds\\{${labels}\\} 1[7-9]\\d{8}\\n`),
      )
    }
    expect(text).toMatch(/^gatherarr_state_write_failures_total 0$/m)
    expect(text).not.toContain("SECRET")
    expect(text).not.toContain("# UNIT")
    expect(text).not.toMatch(/effect_fiber/)
  })

  it.each([
    ["POST", "/"],
    ["GET", "/api/status/x"],
    ["GET", "/metrics/x"],
    ["GET", "/api/v3/system/status"],
    ["POST", "/metrics"],
    ["DELETE", "/health"],
  ])("%s %s is 404", async (method, path) => {
    const response = await fetch(`${base}${path}`, { method })
    expect(response.status).toBe(404)
  })
})
