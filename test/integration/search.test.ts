import { join } from "node:path"
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as NodePath from "@effect/platform-node/NodePath"
import { describe, expect, it } from "@effect/vitest"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Metric from "effect/Metric"
import { ArrError } from "../../src/arr/ArrError.ts"
import { GatherarrConfig } from "../../src/Config.ts"
import * as Metrics from "../../src/Metrics.ts"
import { Search } from "../../src/Search.ts"
import { State } from "../../src/State.ts"
import { StateStore } from "../../src/StateStore.ts"
import {
  captureLogs,
  failureOf,
  runAll,
  searchLayer,
  settings,
  simulators,
  targetFor,
} from "../support/harness.ts"
import type { Simulator, SimulatorOptions } from "../support/simulator.ts"
import { tempDir } from "../support/temp.ts"

const { start, close } = simulators()

describe("Radarr", () => {
  it.live("searches monitored, available, missing movies, one MoviesSearch each, and records outcomes", () =>
    Effect.gen(function* () {
      const sim = yield* start({ app: "radarr", movies: 60, grabProbability: 0.5 })
      const target = targetFor(sim, "movies", { maxSearchesPerRun: 5 })
      const [exit] = yield* runAll([target])
      expect(Exit.isSuccess(exit!)).toBe(true)
      const bodies = sim.commandBodies
      expect(bodies).toHaveLength(5)
      for (const body of bodies) {
        expect(body).toEqual({ name: "MoviesSearch", movieIds: [expect.any(Number)] })
        const movie = sim.movies.find((m) => m.id === (body.movieIds as Array<number>)[0])!
        expect(movie).toMatchObject({ monitored: true, isAvailable: true, hasFile: false })
      }
      // Every request carried the key in the header, never in the URL, and asked for JSON.
      for (const request of sim.requests) {
        expect(request.headers["x-api-key"]).toBe(sim.apiKey)
        expect(request.query.apikey).toBeUndefined()
        expect(request.headers.accept).toContain("application/json")
      }
      // Paged, sorted wanted list; no whole-library download.
      expect(sim.count("/movie")).toBe(0)
      const wanted = sim.requests.find((r) => r.path === "/wanted/missing")!
      expect(wanted.query).toMatchObject({
        sortKey: "movies.lastSearchTime",
        sortDirection: "ascending",
        monitored: "true",
      })
      const state = yield* (yield* State).get
      const items = state.targets.movies!.items
      expect(Object.keys(items)).toHaveLength(5)
      const grabbedIds = new Set(sim.history.map((h) => `movie:${h.movieId}`))
      for (const [key, item] of Object.entries(items)) {
        expect(item.lastResult).toBe(grabbedIds.has(key) ? "grabbed" : "not_found")
      }
      expect(state.targets.movies).toMatchObject({ lastStatus: "success", consecutiveFailures: 0 })
      expect(state.searches).toHaveLength(5)
    }).pipe(Effect.provide(searchLayer(settings([])))),
  )

  it.live("never repeats a movie within its cooldown; orders never-searched first, then least recently", () =>
    Effect.gen(function* () {
      const sim = yield* start({ app: "radarr", movies: 40, grabProbability: 0 })
      const eligible = sim.movies.filter((m) => m.monitored && m.isAvailable && !m.hasFile).length
      const cooled = targetFor(sim, "movies", { maxSearchesPerRun: 3 })
      yield* runAll([cooled, cooled])
      const ids = sim.commandBodies.map((b) => (b.movieIds as Array<number>)[0])
      expect(ids).toHaveLength(6)
      expect(new Set(ids).size).toBe(6)
      // With no cooldown, once every movie was searched the least recently searched comes first.
      const noCooldown = { ...cooled, cooldown: Duration.zero, maxSearchesPerRun: eligible }
      yield* runAll([noCooldown])
      const all = sim.commandBodies.map((b) => (b.movieIds as Array<number>)[0])
      expect(all.slice(6, 6 + eligible - 6)).not.toContain(ids[0])
      expect(new Set(all.slice(6)).size).toBe(eligible)
      expect(all.slice(6 + eligible - 6)).toEqual(ids)
    }).pipe(Effect.provide(searchLayer(settings([])))),
  )

  it.live("skips movies in the download queue and counts skips", () =>
    Effect.gen(function* () {
      const sim = yield* start({ app: "radarr", movies: 30 })
      const eligible = sim.movies.filter((m) => m.monitored && m.isAvailable && !m.hasFile)
      for (const movie of eligible.slice(0, -1)) {
        sim.queue.push({
          id: 1000 + movie.id,
          movieId: movie.id,
          downloadId: `q${movie.id}`,
          status: "downloading",
        })
      }
      const target = targetFor(sim, "queued", { maxSearchesPerRun: 10 })
      const before = yield* Metric.value(Metrics.forTarget(target).skips)
      yield* runAll([target])
      expect(sim.commandBodies).toEqual([{ name: "MoviesSearch", movieIds: [eligible.at(-1)!.id] }])
      const after = yield* Metric.value(Metrics.forTarget(target).skips)
      expect(after.count - before.count).toBe(eligible.length - 1)
    }).pipe(Effect.provide(searchLayer(settings([])))),
  )

  it.live("falls back to the whole library when the wanted endpoints are missing (Radarr < 5.6)", () =>
    Effect.gen(function* () {
      const sim = yield* start({ app: "radarr", movies: 20, wantedEndpoints: false })
      // Every wanted movie was searched recently but two, searched long ago. The apps write times
      // with and without fractional seconds, so the order is by time: as text, ".5Z" sorts before "Z".
      const eligible = sim.movies.filter((m) => m.monitored && m.isAvailable && !m.hasFile)
      expect(eligible.length).toBeGreaterThan(2)
      for (const movie of eligible) movie.lastSearchTime = new Date().toISOString()
      eligible[0]!.lastSearchTime = "2021-03-01T10:00:00.5Z"
      eligible[1]!.lastSearchTime = "2021-03-01T10:00:00Z"
      yield* runAll([targetFor(sim, "old", { maxSearchesPerRun: 2 })])
      expect(sim.count("/movie")).toBe(1)
      expect(sim.commandBodies).toEqual([
        { name: "MoviesSearch", movieIds: [eligible[1]!.id] },
        { name: "MoviesSearch", movieIds: [eligible[0]!.id] },
      ])
    }).pipe(Effect.provide(searchLayer(settings([])))),
  )

  it.live("cutoff mode searches movies whose file is below the cutoff", () =>
    Effect.gen(function* () {
      const sim = yield* start({ app: "radarr", movies: 80 })
      yield* runAll([targetFor(sim, "upgrades", { search: ["cutoff"], maxSearchesPerRun: 3 })])
      expect(sim.commandBodies.length).toBeGreaterThan(0)
      for (const body of sim.commandBodies) {
        const movie = sim.movies.find((m) => m.id === (body.movieIds as Array<number>)[0])!
        expect(movie).toMatchObject({ hasFile: true, qualityCutoffNotMet: true, monitored: true })
      }
    }).pipe(Effect.provide(searchLayer(settings([])))),
  )
})

describe("Sonarr", () => {
  it.live("a season's last search is its oldest episode's, compared as times whatever their format", () =>
    Effect.gen(function* () {
      const sim = yield* start({ app: "sonarr", series: 1, seasons: 2, episodes: 2, missingRatio: 1 })
      sim.series[0]!.monitored = true
      for (const season of sim.series[0]!.seasons) season.monitored = season.seasonNumber > 0
      // Season 1's oldest search is 10:00:00.000, season 2's 10:00:00.200; as text, season 1's
      // "…00.5Z" would look older than its "…00Z" and season 2 would go first.
      const times: Record<number, Array<string>> = {
        1: ["2021-03-01T10:00:00.5Z", "2021-03-01T10:00:00Z"],
        2: ["2021-03-01T10:00:00.2Z", "2021-03-01T10:00:00.2Z"],
      }
      for (const episode of sim.episodes.filter((e) => e.seasonNumber > 0)) {
        Object.assign(episode, { monitored: true, hasFile: false })
        episode.lastSearchTime = times[episode.seasonNumber]![episode.episodeNumber - 1]!
      }
      yield* runAll([targetFor(sim, "tv", { maxSearchesPerRun: 1 })])
      expect(sim.commandBodies).toEqual([{ name: "SeasonSearch", seriesId: 1, seasonNumber: 1 }])
    }).pipe(Effect.provide(searchLayer(settings([])))),
  )

  it.live(
    "searches whole seasons (never specials), one SeasonSearch per season, grabs counted per download",
    () =>
      Effect.gen(function* () {
        const sim = yield* start({ app: "sonarr", series: 8, grabProbability: 1 })
        const target = targetFor(sim, "tv", { maxSearchesPerRun: 6 })
        const before = yield* Metric.value(Metrics.forTarget(target).grabs)
        yield* runAll([target])
        const bodies = sim.commandBodies
        expect(bodies.length).toBe(6)
        const seen = new Set<string>()
        for (const body of bodies) {
          expect(Object.keys(body).sort()).toEqual(["name", "seasonNumber", "seriesId"])
          expect(body.name).toBe("SeasonSearch")
          const key = `${body.seriesId}:${body.seasonNumber}`
          expect(seen.has(key)).toBe(false)
          seen.add(key)
          expect(body.seasonNumber).toBeGreaterThan(0)
          const series = sim.series.find((s) => s.id === body.seriesId)!
          expect(series.monitored).toBe(true)
          expect(series.seasons.find((s) => s.seasonNumber === body.seasonNumber)!.monitored).toBe(true)
        }
        // A season pack writes one history record per episode but is one grab.
        const downloads = new Set(sim.history.map((h) => h.downloadId))
        expect(sim.history.length).toBeGreaterThan(downloads.size)
        const after = yield* Metric.value(Metrics.forTarget(target).grabs)
        expect(after.count - before.count).toBe(downloads.size)
        const items = (yield* (yield* State).get).targets.tv!.items
        expect(Object.values(items).every((i) => i.lastResult === "grabbed")).toBe(true)
      }).pipe(Effect.provide(searchLayer(settings([])))),
  )

  it.live("a season with any episode in the queue is skipped", () =>
    Effect.gen(function* () {
      const sim = yield* start({ app: "sonarr", series: 3, grabProbability: 0 })
      const target = targetFor(sim, "tv", { maxSearchesPerRun: 50 })
      yield* runAll([{ ...target, name: "probe" }])
      const seasons = sim.commandBodies.map((b) => `${b.seriesId}:${b.seasonNumber}`)
      const [seriesId, seasonNumber] = seasons[0]!.split(":").map(Number)
      const episode = sim.episodes.find((e) => e.seriesId === seriesId && e.seasonNumber === seasonNumber)!
      sim.queue.push({
        id: 999,
        seriesId: seriesId!,
        seasonNumber: seasonNumber!,
        episodeId: episode.id,
        downloadId: "x",
        status: "downloading",
      })
      sim.requests.length = 0
      yield* Effect.sleep("200 millis") // let the commands finish, so none is de-duplicated
      yield* runAll([target])
      const again = sim.commandBodies.map((b) => `${b.seriesId}:${b.seasonNumber}`)
      expect(again).not.toContain(seasons[0])
      expect(again.sort()).toEqual(seasons.slice(1).sort())
    }).pipe(Effect.provide(searchLayer(settings([])))),
  )
})

describe("URLs", () => {
  it.live("a URL base is kept: every request goes under it", () =>
    Effect.gen(function* () {
      const sim = yield* start({ app: "radarr", movies: 20, urlBase: "/radarr" })
      expect(sim.url).toMatch(/\/radarr$/)
      const [exit] = yield* runAll([targetFor(sim, "movies", { maxSearchesPerRun: 1 })])
      expect(Exit.isSuccess(exit!)).toBe(true)
      expect(sim.commandBodies).toHaveLength(1)
    }).pipe(Effect.provide(searchLayer(settings([])))),
  )
})

describe("the app going away mid-run", () => {
  it.live("a search in flight is recorded, the run fails clearly, and nothing hangs", () =>
    Effect.gen(function* () {
      const sim = yield* start({ app: "radarr", movies: 20, commandRunMs: 60_000 })
      const target = targetFor(sim, "movies", { maxSearchesPerRun: 3 })
      const search = yield* Search
      const fiber = yield* Effect.fork(Effect.exit(search.run(target)))
      yield* Effect.promise(async () => {
        while (sim.commands.length === 0) await new Promise((r) => setTimeout(r, 10))
      })
      yield* close(sim)
      const exit = yield* Effect.flatten(Effect.map(Effect.fromFiber(fiber), Effect.succeed))
      // The search that was sent is remembered (its outcome unknown: failed); the next POST fails the run.
      const items = Object.values((yield* (yield* State).get).targets.movies!.items)
      expect(items.length).toBeGreaterThanOrEqual(1)
      expect(items.map((i) => i.lastResult)).toContain("failed")
      expect(items.find((i) => i.lastResult === "failed")!.lastError).toMatch(
        /^command failed: movies: GET \/command\/\d+: request failed/,
      )
      expect(Exit.isFailure(exit)).toBe(true)
    }).pipe(Effect.provide(searchLayer(settings([], { concurrency: 1 })))),
  )
})

describe("apps without per-item endpoints", () => {
  it.live(
    "grabs come from history/since and series from the series list when the per-item endpoints 404",
    () =>
      Effect.gen(function* () {
        const radarr = yield* start({ app: "radarr", movies: 30, grabProbability: 1, itemEndpoints: false })
        const sonarr = yield* start({ app: "sonarr", series: 4, grabProbability: 1, itemEndpoints: false })
        yield* runAll([
          targetFor(radarr, "movies", { maxSearchesPerRun: 2 }),
          targetFor(sonarr, "tv", { maxSearchesPerRun: 2 }),
        ])
        const items = (yield* (yield* State).get).targets
        expect(Object.values(items.movies!.items).map((i) => i.lastResult)).toEqual(["grabbed", "grabbed"])
        expect(Object.values(items.tv!.items).map((i) => i.lastResult)).toEqual(["grabbed", "grabbed"])
        expect(radarr.count("/history/since")).toBe(2)
        expect(sonarr.count("/series")).toBe(1)
        expect(
          sonarr.requests
            .filter((r) => r.path === "/history/since")
            .every((r) => r.query.includeEpisode === "true"),
        ).toBe(true)
      }).pipe(Effect.provide(searchLayer(settings([])))),
  )
})

describe("apps without the paged queue", () => {
  it.live(
    "the queue comes from queue/details when /queue answers 404, and queued items are still skipped",
    () =>
      Effect.gen(function* () {
        const sim = yield* start({ app: "radarr", movies: 30 })
        sim.inject({ kind: "status", status: 404, path: "/queue", times: Number.POSITIVE_INFINITY })
        const eligible = sim.movies.filter((m) => m.monitored && m.isAvailable && !m.hasFile)
        for (const movie of eligible.slice(1)) {
          sim.queue.push({
            id: 1000 + movie.id,
            movieId: movie.id,
            downloadId: `q${movie.id}`,
            status: "downloading",
          })
        }
        const [exit] = yield* runAll([targetFor(sim, "movies")])
        expect(Exit.isSuccess(exit!)).toBe(true)
        expect(sim.count("/queue/details")).toBe(1)
        expect(sim.commandBodies).toEqual([{ name: "MoviesSearch", movieIds: [eligible[0]!.id] }])
      }).pipe(Effect.provide(searchLayer(settings([])))),
  )
})

describe("limits", () => {
  it.live("the hourly cap holds across targets and across a restart", () =>
    Effect.gen(function* () {
      const radarr = yield* start({ app: "radarr", movies: 40 })
      const sonarr = yield* start({ app: "sonarr", series: 10 })
      const targets = [
        targetFor(radarr, "movies", { maxSearchesPerRun: 3 }),
        targetFor(sonarr, "tv", { maxSearchesPerRun: 3 }),
      ]
      const dir = tempDir("cap")
      const config = settings(targets, { maxSearchesPerHour: 4, statePath: join(dir, "state.json") })
      const fileStore = StateStore.layer.pipe(
        Layer.provide(Layer.mergeAll(NodeFileSystem.layer, NodePath.layer)),
        Layer.provide(GatherarrConfig.layerFrom(config)),
      )
      yield* runAll(targets).pipe(Effect.provide(searchLayer(config, fileStore)), Effect.scoped)
      expect(radarr.commandBodies.length + sonarr.commandBodies.length).toBe(4)
      expect(radarr.commandBodies).toHaveLength(3)
      // A new process with the same state file: the hour is not over, so nothing is searched.
      yield* runAll(targets).pipe(Effect.provide(searchLayer(config, fileStore)), Effect.scoped)
      expect(radarr.commandBodies.length + sonarr.commandBodies.length).toBe(4)
    }),
  )

  it.live("never more searches in flight than GATHERARR_CONCURRENCY, across targets", () =>
    Effect.gen(function* () {
      const a = yield* start({ app: "radarr", movies: 30, commandRunMs: 150 })
      const b = yield* start({ app: "radarr", movies: 30, commandRunMs: 150 })
      const targets = [
        targetFor(a, "a", { maxSearchesPerRun: 4 }),
        targetFor(b, "b", { maxSearchesPerRun: 4 }),
      ]
      const search = yield* Search
      yield* Effect.forEach(targets, (t) => search.run(t), { concurrency: "unbounded" })
      const spans = [...a.commands, ...b.commands].map((c) => [c.queued, c.ended!] as const)
      expect(spans).toHaveLength(8)
      const maxOverlap = Math.max(...spans.map(([s]) => spans.filter(([s2, e2]) => s2 <= s && s < e2).length))
      expect(maxOverlap).toBeLessThanOrEqual(2)
      expect(maxOverlap).toBeGreaterThanOrEqual(1)
    }).pipe(Effect.provide(searchLayer(settings([], { concurrency: 2 })))),
  )

  it.live("a dry run selects and logs at INFO, sends nothing, uses no budget and sets no cooldown", () => {
    const logs = captureLogs()
    return Effect.gen(function* () {
      const sim = yield* start({ app: "radarr", movies: 30 })
      const target = targetFor(sim, "movies", { maxSearchesPerRun: 3 })
      yield* runAll([target, target])
      expect(sim.count("/command", "POST")).toBe(0)
      const state = yield* (yield* State).get
      expect(state.searches).toEqual([])
      expect(state.targets.movies!.items).toEqual({})
      const wouldBe = logs.lines.filter((l) => l.level === "info")
      expect(wouldBe).toHaveLength(6)
      for (const line of wouldBe) expect(line).toMatchObject({ dry_run: true, movie_id: expect.any(Number) })
      // Without cooldown, the same movies come up again.
      expect(wouldBe.slice(0, 3).map((l) => l.movie_id)).toEqual(wouldBe.slice(3).map((l) => l.movie_id))
    }).pipe(Effect.provide(searchLayer(settings([], { dryRun: true }))), Effect.provide(logs.layer))
  })

  it.live("a command that never completes is recorded as timeout, at WARN", () => {
    const logs = captureLogs()
    return Effect.gen(function* () {
      const sim = yield* start({ app: "radarr", movies: 10, commandQueuedMs: Number.POSITIVE_INFINITY })
      yield* runAll([targetFor(sim, "movies", { maxSearchesPerRun: 1 })])
      const items = Object.values((yield* (yield* State).get).targets.movies!.items)
      expect(items).toMatchObject([
        { lastResult: "timeout", lastError: expect.stringContaining("did not finish") },
      ])
      expect(logs.lines.filter((l) => l.level === "warn" && l.result === "timeout")).toHaveLength(1)
    }).pipe(
      Effect.provide(searchLayer(settings([], { commandTimeout: Duration.millis(300) }))),
      Effect.provide(logs.layer),
    )
  })

  it.live("a command that fails is recorded as failed, at WARN", () => {
    const logs = captureLogs()
    return Effect.gen(function* () {
      const sim = yield* start({ app: "radarr", movies: 10 })
      sim.failCommands = true
      const [exit] = yield* runAll([targetFor(sim, "movies", { maxSearchesPerRun: 1 })])
      expect(Exit.isSuccess(exit!)).toBe(true)
      const items = Object.values((yield* (yield* State).get).targets.movies!.items)
      expect(items).toMatchObject([{ lastResult: "failed", lastError: "command failed: Failed" }])
      expect(logs.lines.filter((l) => l.level === "warn" && l.result === "failed")).toHaveLength(1)
    }).pipe(Effect.provide(searchLayer(settings([]))), Effect.provide(logs.layer))
  })
})

describe("faults", () => {
  const oneRun = (options: SimulatorOptions, fault: Parameters<Simulator["inject"]>[0], overrides = {}) =>
    Effect.gen(function* () {
      const sim = yield* start(options)
      sim.inject(fault)
      const [exit] = yield* runAll([targetFor(sim, "movies", { maxSearchesPerRun: 1, ...overrides })])
      return { sim, exit: exit! }
    })

  it.live("5xx then success: retried, the run succeeds", () =>
    Effect.gen(function* () {
      const { sim, exit } = yield* oneRun(
        { app: "radarr" },
        { kind: "status", status: 503, path: "/system/status", times: 2 },
      )
      expect(Exit.isSuccess(exit)).toBe(true)
      expect(sim.count("/system/status")).toBe(3)
    }).pipe(Effect.provide(searchLayer(settings([])))),
  )

  it.live("persistent 5xx: exactly 1 + GATHERARR_RETRY_ATTEMPTS attempts, then a clear error", () =>
    Effect.gen(function* () {
      const { sim, exit } = yield* oneRun(
        { app: "radarr" },
        { kind: "status", status: 500, path: "/system/status", times: 100 },
      )
      expect(sim.count("/system/status")).toBe(3)
      const error = failureOf(exit)
      expect(error.message).toBe("movies: GET /system/status: unexpected status 500: injected fault")
      expect(error.reason).toBe("status")
      const state = yield* (yield* State).get
      expect(state.targets.movies).toMatchObject({ lastStatus: "failure", consecutiveFailures: 1 })
    }).pipe(Effect.provide(searchLayer(settings([])))),
  )

  it.live("429 with Retry-After is honoured (capped at the max delay)", () =>
    Effect.gen(function* () {
      const started = Date.now()
      const { sim, exit } = yield* oneRun(
        { app: "radarr" },
        { kind: "status", status: 429, path: "/system/status", retryAfter: "1" },
      )
      expect(Exit.isSuccess(exit)).toBe(true)
      expect(sim.count("/system/status")).toBe(2)
      const waited = Date.now() - started
      expect(waited).toBeGreaterThanOrEqual(290)
      expect(waited).toBeLessThan(1000)
    }).pipe(Effect.provide(searchLayer(settings([], { retryMaxDelay: Duration.millis(300) })))),
  )

  it.live("401 after a key rotation is never retried and says the key was rejected", () =>
    Effect.gen(function* () {
      const sim = yield* start({ app: "radarr" })
      const target = targetFor(sim, "movies", { maxSearchesPerRun: 0 })
      const [first] = yield* runAll([target])
      expect(Exit.isSuccess(first!)).toBe(true)
      sim.apiKey = "rotated"
      sim.requests.length = 0
      const [after] = yield* runAll([target])
      const error = failureOf(after!)
      expect(error.reason).toBe("unauthorized")
      expect(error.message).toBe("movies: GET /system/status: the API key was rejected (401 Unauthorized)")
      expect(sim.requests).toHaveLength(1)
    }).pipe(Effect.provide(searchLayer(settings([])))),
  )

  it.live("404 is not retried", () =>
    Effect.gen(function* () {
      const { sim, exit } = yield* oneRun(
        { app: "radarr" },
        { kind: "status", status: 404, path: "/system/status" },
      )
      expect(failureOf(exit).status).toBe(404)
      expect(sim.count("/system/status")).toBe(1)
    }).pipe(Effect.provide(searchLayer(settings([])))),
  )

  it.live("a hang beyond the request timeout is a retried timeout", () =>
    Effect.gen(function* () {
      const { sim, exit } = yield* oneRun(
        { app: "radarr" },
        { kind: "hang", path: "/system/status", times: 10 },
      )
      const error = failureOf(exit)
      expect(error.reason).toBe("timeout")
      expect(error.message).toBe("movies: GET /system/status: no answer within 200ms")
      expect(sim.count("/system/status")).toBe(3)
    }).pipe(Effect.provide(searchLayer(settings([], { requestTimeout: Duration.millis(200) })))),
  )

  it.live("a connection reset is retried", () =>
    Effect.gen(function* () {
      const { sim, exit } = yield* oneRun({ app: "radarr" }, { kind: "reset", path: "/wanted/missing" })
      expect(Exit.isSuccess(exit)).toBe(true)
      expect(sim.count("/wanted/missing")).toBe(2)
    }).pipe(Effect.provide(searchLayer(settings([])))),
  )

  it.live("malformed JSON is a clear error naming target and endpoint, not retried", () =>
    Effect.gen(function* () {
      const { sim, exit } = yield* oneRun({ app: "radarr" }, { kind: "malformed", path: "/wanted/missing" })
      const error = failureOf(exit)
      expect(error.reason).toBe("decode")
      expect(error.message).toMatch(/^movies: GET \/wanted\/missing: the body is not valid JSON/)
      expect(sim.count("/wanted/missing")).toBe(1)
    }).pipe(Effect.provide(searchLayer(settings([])))),
  )

  it.live("an HTML login page from a proxy is a clear error", () =>
    Effect.gen(function* () {
      const { exit } = yield* oneRun({ app: "radarr" }, { kind: "html", path: "/system/status" })
      expect(failureOf(exit).message).toBe(
        "movies: GET /system/status: expected JSON but got text/html (a reverse proxy login page?)",
      )
    }).pipe(Effect.provide(searchLayer(settings([])))),
  )

  it.live("a body of the wrong shape is a clear error", () =>
    Effect.gen(function* () {
      const { exit } = yield* oneRun({ app: "radarr" }, { kind: "oversized", path: "/queue", bytes: 10 })
      expect(failureOf(exit).message).toMatch(/^movies: GET \/queue: unexpected response shape/)
    }).pipe(Effect.provide(searchLayer(settings([])))),
  )

  it.live("a Sonarr URL configured as radarr is reported clearly", () =>
    Effect.gen(function* () {
      const sim = yield* start({ app: "sonarr" })
      const [exit] = yield* runAll([{ ...targetFor(sim, "movies"), type: "radarr" }])
      expect(failureOf(exit!).message).toBe(
        "movies: GET /system/status: the URL answers as Sonarr, but the target is configured as radarr",
      )
      expect(sim.count("/command", "POST")).toBe(0)
    }).pipe(Effect.provide(searchLayer(settings([])))),
  )

  it.live("an unreachable app is a transport error after the retries", () =>
    Effect.gen(function* () {
      const sim = yield* start({ app: "radarr" })
      yield* close(sim)
      const [exit] = yield* runAll([targetFor(sim, "movies")])
      const error = failureOf(exit!)
      expect(error.reason).toBe("transport")
      expect(error.retryable).toBe(true)
      expect(error).toBeInstanceOf(ArrError)
    }).pipe(Effect.provide(searchLayer(settings([])))),
  )
})

describe("servers of the same API that differ from the apps", () => {
  it.live("null for absent nullable properties, as the specs allow, reads the same as leaving them out", () =>
    Effect.gen(function* () {
      const radarr = yield* start({
        app: "radarr",
        movies: 30,
        grabProbability: 1,
        explicitNulls: true,
        tags: [{ id: 1, label: "4k" }],
      })
      const sonarr = yield* start({ app: "sonarr", series: 4, grabProbability: 1, explicitNulls: true })
      // Null where the apps would say nothing: never-searched items, command messages, queue ids.
      radarr.queue.push({ id: 77, downloadId: "other", status: "downloading" })
      const exits = yield* runAll([
        targetFor(radarr, "movies", { maxSearchesPerRun: 2, excludeTags: ["4k"] }),
        targetFor(sonarr, "tv", { maxSearchesPerRun: 2 }),
      ])
      expect(exits.map((exit) => exit._tag)).toEqual(["Success", "Success"])
      const items = (yield* (yield* State).get).targets
      expect(Object.values(items.movies!.items).map((i) => i.lastResult)).toEqual(["grabbed", "grabbed"])
      expect(Object.values(items.tv!.items).map((i) => i.lastResult)).toEqual(["grabbed", "grabbed"])
    }).pipe(Effect.provide(searchLayer(settings([])))),
  )

  it.live("history asked by eventType name where a server refuses the number (400)", () =>
    Effect.gen(function* () {
      const radarr = yield* start({ app: "radarr", movies: 30, grabProbability: 1, eventTypeByName: true })
      const sonarr = yield* start({
        app: "sonarr",
        series: 4,
        grabProbability: 1,
        eventTypeByName: true,
        itemEndpoints: false,
      })
      yield* runAll([
        targetFor(radarr, "movies", { maxSearchesPerRun: 1 }),
        targetFor(sonarr, "tv", { maxSearchesPerRun: 1 }),
      ])
      const items = (yield* (yield* State).get).targets
      expect(Object.values(items.movies!.items).map((i) => i.lastResult)).toEqual(["grabbed"])
      expect(Object.values(items.tv!.items).map((i) => i.lastResult)).toEqual(["grabbed"])
      const asked = (sim: Simulator, path: string) =>
        sim.requests.filter((r) => r.path === path).map((r) => r.query.eventType)
      expect(asked(radarr, "/history/movie")).toEqual(["1", "grabbed"])
      expect(asked(sonarr, "/history/since")).toEqual(["1", "grabbed"])
    }).pipe(Effect.provide(searchLayer(settings([])))),
  )

  it.live("JSON without a content type, or labelled text/plain, is judged by its body", () =>
    Effect.gen(function* () {
      const untyped = yield* start({ app: "radarr", movies: 30, grabProbability: 1, contentType: "" })
      const plain = yield* start({ app: "sonarr", series: 4, grabProbability: 1, contentType: "text/plain" })
      const exits = yield* runAll([
        targetFor(untyped, "movies", { maxSearchesPerRun: 1 }),
        targetFor(plain, "tv", { maxSearchesPerRun: 1 }),
      ])
      expect(exits.map((exit) => exit._tag)).toEqual(["Success", "Success"])
      const items = (yield* (yield* State).get).targets
      expect(Object.values(items.movies!.items).map((i) => i.lastResult)).toEqual(["grabbed"])
      expect(Object.values(items.tv!.items).map((i) => i.lastResult)).toEqual(["grabbed"])
      // Without JSON, the error names the content type the server gave.
      untyped.inject({ kind: "malformed", path: "/system/status" })
      const [exit] = yield* runAll([targetFor(untyped, "movies", { maxSearchesPerRun: 1 })])
      expect(failureOf(exit!).message).toMatch(/the body is not valid JSON \(no content type, \d+ bytes/)
    }).pipe(Effect.provide(searchLayer(settings([])))),
  )
})
