/**
 * The read-only status: `GET /` (HTML) and `GET /api/status` (JSON), from what runs already read.
 * In process, on an ephemeral port, against the simulator.
 */
import { afterEach, describe, expect, it } from "vitest"
import type { GatherarrSettings } from "../../src/Config.ts"
import type { StatusJson } from "../../src/index.ts"
import { escapeHtml } from "../../src/StatusPage.ts"
import { VERSION } from "../../src/version.ts"
import { settings, targetFor } from "../support/harness.ts"
import { Simulator } from "../support/simulator.ts"
import { serveStandalone } from "../support/standalone.ts"

const HOSTILE = `<script>alert("x")</script> & 'quoted' <img src=x onerror=alert(1)>`
const KEY = "st4tus-KEY-0b9d2c"

const stops: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop()
})

/** Gatherarr with `config`, serving on an ephemeral port until the test ends; its base URL. */
const serve = async (config: GatherarrSettings) => {
  const { base, stop } = await serveStandalone(config)
  stops.push(stop)
  return base
}

const sims = async () => {
  const radarr = await Simulator.start({ app: "radarr", movies: 40, apiKey: KEY, grabProbability: 1 })
  const sonarr = await Simulator.start({ app: "sonarr", series: 6, apiKey: KEY, grabProbability: 0 })
  stops.push(
    () => radarr.close(),
    () => sonarr.close(),
  )
  // The first wanted movie has a title an attacker chose.
  const movie = radarr.movies.find((m) => m.monitored && m.isAvailable && !m.hasFile)!
  movie.title = HOSTILE
  return { radarr, sonarr, hostileId: movie.id }
}

const until = async (check: () => Promise<boolean>) => {
  for (let i = 0; i < 400; i++) {
    if (await check()) return
    await new Promise((r) => setTimeout(r, 25))
  }
  throw new Error("condition not reached")
}

const statusAt = async (base: string) => (await (await fetch(`${base}/api/status`)).json()) as StatusJson

describe("the status, as JSON and as a page", () => {
  it("shows targets, limits, the backlog and the latest searches; asks the apps nothing for it", async () => {
    const { radarr, sonarr } = await sims()
    const base = await serve(
      settings(
        [
          targetFor(radarr, "movies", { maxSearchesPerRun: 5, search: ["cutoff", "missing"] }),
          targetFor(sonarr, "tv", { maxSearchesPerRun: 3 }),
        ],
        { maxSearchesPerHour: 20 },
      ),
    )
    // Both targets have run (and are between runs).
    await until(async () => (await statusAt(base)).targets.every((t) => t.lastRunAt !== null && !t.running))
    const requests = radarr.requests.length + sonarr.requests.length
    const status = await statusAt(base)
    const page = await (await fetch(`${base}/`)).text()
    // Serving the status sent nothing to the apps.
    expect(radarr.requests.length + sonarr.requests.length).toBe(requests)
    expect(status).toMatchObject({
      version: 1,
      gatherarr: VERSION,
      dryRun: false,
      searchesLastHour: 8,
      maxSearchesPerHour: 20,
      inFlight: 0,
      concurrency: 2,
      summary: { targets: 2, failing: 0 },
    })
    const [movies, tv] = status.targets
    const missing = radarr.movies.filter((m) => m.monitored && m.movieFileId === 0 && m.year > 0).length
    const cutoff = radarr.movies.filter((m) => m.monitored && m.hasFile && m.qualityCutoffNotMet).length
    expect(movies).toMatchObject({
      name: "movies",
      type: "radarr",
      appVersion: radarr.version,
      lastStatus: "success",
      consecutiveFailures: 0,
      running: false,
      indexersUnavailable: false,
      wanted: { missing, cutoff },
      searchedWithinCooldown: 5,
      maxSearchesPerRun: 5,
      intervalSeconds: 3600,
      lastError: null,
    })
    // Five per hourly run: (missing + cutoff) / 5 hours for a pass.
    expect(movies!.fullPassHours).toBe(Math.round(((missing + cutoff) / 5) * 10) / 10)
    expect(Date.parse(movies!.nextRunAt!)).toBeGreaterThan(Date.now())
    expect(tv).toMatchObject({
      name: "tv",
      type: "sonarr",
      appVersion: sonarr.version,
      wanted: { cutoff: null },
    })
    expect(tv!.wanted.missing).toBeGreaterThan(0)
    expect(status.summary.wanted).toBe(missing + cutoff + tv!.wanted.missing!)
    expect(status.recentSearches).toHaveLength(8)
    for (const r of status.recentSearches) {
      expect(r).toEqual({
        at: expect.any(String),
        target: expect.stringMatching(/^(movies|tv)$/),
        type: r.target === "movies" ? "radarr" : "sonarr",
        title: expect.any(String),
        result: r.target === "movies" ? "grabbed" : "not_found",
        grabs: r.target === "movies" ? 1 : 0,
      })
    }
    // Newest first; Sonarr seasons named by their series once read.
    const times = status.recentSearches.map((r) => Date.parse(r.at))
    expect([...times].sort((a, b) => b - a)).toEqual(times)
    expect(status.recentSearches.filter((r) => r.target === "tv").map((r) => r.title)).toEqual(
      expect.arrayContaining([expect.stringMatching(/^Series \d+ season \d+$/)]),
    )
    // The page says the same.
    expect(page).toMatch(/^<!doctype html>/)
    expect(page).toContain('<meta http-equiv="refresh" content="30">')
    expect(page).toContain("prefers-color-scheme: dark")
    expect(page).not.toMatch(/<script|src="http|href="http|<link/i)
    expect(page).toContain(`Searches in the last hour: <strong>8</strong> of 20`)
    expect(page).toContain(`In flight: <strong>0</strong> of 2`)
    for (const target of status.targets) expect(page).toContain(`id="target-${target.name}"`)
    expect(page).toContain(`${cutoff} below cutoff, ${missing} missing`)
  })

  it("every title is HTML-escaped, and neither the page nor the JSON holds a key or an app's URL", async () => {
    const { radarr, sonarr, hostileId } = await sims()
    const base = await serve(
      settings([targetFor(radarr, "movies", { maxSearchesPerRun: 3 }), targetFor(sonarr, "tv")]),
    )
    await until(async () => (await statusAt(base)).recentSearches.some((r) => r.title.startsWith("<script>")))
    const page = await (await fetch(`${base}/`)).text()
    const json = await (await fetch(`${base}/api/status`)).text()
    expect(JSON.parse(json).recentSearches.map((r: { title: string }) => r.title)).toContain(
      `${HOSTILE} (${radarr.movies.find((m) => m.id === hostileId)!.year})`,
    )
    expect(page).toContain(escapeHtml(HOSTILE))
    expect(page).not.toContain("<script>")
    expect(page).not.toContain("<img")
    for (const text of [page, json]) {
      expect(text).not.toContain(KEY)
      expect(text).not.toContain(radarr.url)
      expect(text).not.toContain(sonarr.url)
      expect(text).not.toContain("127.0.0.1")
    }
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe("&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;")
  })

  it("GATHERARR_STATUS_PAGE=false: / and /api/status are 404, /metrics and /health stay", async () => {
    const { radarr, sonarr } = await sims()
    const base = await serve(
      settings([targetFor(radarr, "movies"), targetFor(sonarr, "tv")], { statusPage: false }),
    )
    expect((await fetch(`${base}/`)).status).toBe(404)
    expect((await fetch(`${base}/api/status`)).status).toBe(404)
    expect((await fetch(`${base}/metrics`)).status).toBe(200)
  })
})
