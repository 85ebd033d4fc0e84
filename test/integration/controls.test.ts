import { describe, expect, it } from "@effect/vitest"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as ActiveHours from "../../src/ActiveHours.ts"
import { Search } from "../../src/Search.ts"
import { captureLogs, searchLayer, settings, simulators, targetFor } from "../support/harness.ts"
import type { Simulator } from "../support/simulator.ts"

const { start } = simulators()

const run = (target: ReturnType<typeof targetFor>) =>
  Effect.flatMap(Search, (search) => Effect.exit(search.run(target)))
const searchedMovies = (sim: Simulator) => sim.commandBodies.map((b) => (b.movieIds as Array<number>)[0]!)
const wantedMovies = (sim: Simulator) => sim.movies.filter((m) => m.monitored && m.isAvailable && !m.hasFile)

describe("tag filters", () => {
  /** 60 movies; the first three wanted ones tagged 4k, the next three anime. */
  const taggedLibrary = Effect.map(
    start({
      app: "radarr",
      movies: 60,
      tags: [
        { id: 1, label: "4k" },
        { id: 2, label: "anime" },
      ],
    }),
    (sim) => ({ sim, wanted: tagged(sim) }),
  )
  function tagged(sim: Simulator) {
    const wanted = wantedMovies(sim)
    for (const m of wanted.slice(0, 3)) m.tags = [1]
    for (const m of wanted.slice(3, 6)) m.tags = [2]
    return wanted
  }

  it.live("INCLUDE_TAGS searches only items with one of the tags", () =>
    Effect.gen(function* () {
      const { sim, wanted } = yield* taggedLibrary
      yield* run(targetFor(sim, "movies", { maxSearchesPerRun: 10, includeTags: ["4k"] }))
      expect(searchedMovies(sim).sort()).toEqual(
        wanted
          .slice(0, 3)
          .map((m) => m.id)
          .sort(),
      )
    }).pipe(Effect.provide(searchLayer(settings([])))),
  )

  it.live("EXCLUDE_TAGS never searches items with one of the tags", () =>
    Effect.gen(function* () {
      const { sim, wanted } = yield* taggedLibrary
      yield* run(targetFor(sim, "movies", { maxSearchesPerRun: 100, excludeTags: ["anime"] }))
      const searched = searchedMovies(sim)
      expect(searched.length).toBe(wanted.length - 3)
      for (const m of wanted.slice(3, 6)) expect(searched).not.toContain(m.id)
    }).pipe(Effect.provide(searchLayer(settings([])))),
  )

  it.live(
    "tagged items deep in the wanted list are still found: pages are read until the picks are made",
    () =>
      Effect.gen(function* () {
        const sim = yield* start({ app: "radarr", movies: 400, tags: [{ id: 1, label: "4k" }] })
        const wanted = wantedMovies(sim)
        // The most recently searched come last in the wanted list's order.
        const deep = wanted.slice(-4)
        for (const [i, m] of deep.entries()) {
          m.tags = [1]
          m.lastSearchTime = new Date(Date.now() - i * 60_000).toISOString()
        }
        yield* run(targetFor(sim, "movies", { maxSearchesPerRun: 10, includeTags: ["4k"] }))
        expect(searchedMovies(sim).sort()).toEqual(deep.map((m) => m.id).sort())
        expect(sim.count("/wanted/missing")).toBeGreaterThan(1)
      }).pipe(Effect.provide(searchLayer(settings([])))),
  )

  it.live("Sonarr: tags are the series' tags", () =>
    Effect.gen(function* () {
      const sim = yield* start({ app: "sonarr", series: 6, tags: [{ id: 5, label: "kids" }] })
      sim.series[1]!.tags = [5]
      yield* run(targetFor(sim, "tv", { maxSearchesPerRun: 50, includeTags: ["kids"] }))
      expect(sim.commandBodies.length).toBeGreaterThan(0)
      for (const body of sim.commandBodies) expect(body.seriesId).toBe(2)
    }).pipe(Effect.provide(searchLayer(settings([])))),
  )

  it.live("an unknown tag label fails the run clearly, before any search", () =>
    Effect.gen(function* () {
      const sim = yield* start({ app: "radarr", movies: 20, tags: [{ id: 1, label: "4k" }] })
      const exit = yield* run(targetFor(sim, "movies", { includeTags: ["4K-HDR"] }))
      expect(Exit.isFailure(exit) && exit.cause._tag === "Fail" && exit.cause.error.message).toBe(
        'movies: GET /tag: INCLUDE_TAGS: the app has no tag "4K-HDR" (its tags: 4k)',
      )
      expect(sim.count("/command", "POST")).toBe(0)
    }).pipe(Effect.provide(searchLayer(settings([])))),
  )
})

describe("download-queue backpressure", () => {
  it.live("MAX_QUEUE: a full queue means no search this run, said at DEBUG", () => {
    const logs = captureLogs()
    return Effect.gen(function* () {
      const sim = yield* start({ app: "radarr", movies: 30 })
      for (let i = 0; i < 3; i++)
        sim.queue.push({ id: 900 + i, movieId: 10_000 + i, downloadId: `d${i}`, status: "downloading" })
      yield* run(targetFor(sim, "movies", { maxQueue: 3 }))
      expect(sim.count("/command", "POST")).toBe(0)
      expect(logs.lines).toContainEqual(
        expect.objectContaining({
          level: "debug",
          message: "the download queue is full; searching nothing this run",
          queue_size: 3,
        }),
      )
      yield* run(targetFor(sim, "movies", { maxQueue: 4, maxSearchesPerRun: 1 }))
      expect(sim.count("/command", "POST")).toBe(1)
    }).pipe(Effect.provide(searchLayer(settings([]))), Effect.provide(logs.layer))
  })
})

describe("active hours", () => {
  const hhmm = (ms: number) => new Date(ms).toISOString().slice(11, 16)
  const window = (fromNow: number, toNow: number) => {
    const parsed = ActiveHours.parse(`${hhmm(Date.now() + fromNow)}-${hhmm(Date.now() + toNow)}`)
    if (typeof parsed === "string") throw new Error(parsed)
    return parsed
  }

  it.live("outside the window nothing is sent, not even a status check; inside, searches go out", () =>
    Effect.gen(function* () {
      const sim = yield* start({ app: "radarr", movies: 20 })
      yield* run(targetFor(sim, "movies", { activeHours: window(2 * 3600_000, 3 * 3600_000) }))
      expect(sim.requests).toEqual([])
      yield* run(targetFor(sim, "movies", { activeHours: window(-3600_000, 3600_000), maxSearchesPerRun: 1 }))
      expect(sim.count("/command", "POST")).toBe(1)
    }).pipe(Effect.provide(searchLayer(settings([], { timeZone: "UTC" })))),
  )

  it("windows may wrap midnight; the wait is until the window opens, in the zone", () => {
    const w = ActiveHours.parse("23:00-02:00")
    if (typeof w === "string") throw new Error(w)
    const at = (iso: string) => ActiveHours.millisUntilOpen(w, Date.parse(iso), "UTC")
    expect(at("2026-01-01T23:30:00Z")).toBe(0)
    expect(at("2026-01-01T01:59:00Z")).toBe(0)
    expect(at("2026-01-01T02:00:00Z")).toBe(21 * 3600_000)
    expect(at("2026-01-01T22:00:00Z")).toBe(3600_000)
    // 22:00 UTC is 23:00 in Paris in winter: inside.
    expect(ActiveHours.millisUntilOpen(w, Date.parse("2026-01-01T22:00:00Z"), "Europe/Paris")).toBe(0)
  })

  it("bad windows are rejected with the rule", () => {
    expect(ActiveHours.parse("25:00-02:00")).toMatch(/is not a time window \(use HH:MM-HH:MM/)
    expect(ActiveHours.parse("1am-2am")).toMatch(/is not a time window/)
    expect(ActiveHours.parse("03:00-03:00")).toMatch(/is an empty window/)
    expect(ActiveHours.isTimeZone("Mars/Olympus")).toBe(false)
    expect(ActiveHours.isTimeZone("Europe/London")).toBe(true)
  })
})

describe("release grace and specials", () => {
  it.live("a movie released less than RELEASE_GRACE ago is not searched yet", () =>
    Effect.gen(function* () {
      const sim = yield* start({ app: "radarr", movies: 20 })
      const wanted = wantedMovies(sim)
      const fresh = wanted[0]!
      fresh.digitalRelease = new Date(Date.now() - 3600_000).toISOString()
      yield* run(targetFor(sim, "movies", { maxSearchesPerRun: 100, releaseGrace: Duration.hours(6) }))
      expect(searchedMovies(sim)).not.toContain(fresh.id)
      expect(searchedMovies(sim)).toHaveLength(wanted.length - 1)
    }).pipe(Effect.provide(searchLayer(settings([])))),
  )

  it.live("with no grace it is", () =>
    Effect.gen(function* () {
      const sim = yield* start({ app: "radarr", movies: 20 })
      const fresh = wantedMovies(sim)[0]!
      fresh.digitalRelease = new Date(Date.now() - 3600_000).toISOString()
      yield* run(targetFor(sim, "movies", { maxSearchesPerRun: 100, releaseGrace: Duration.zero }))
      expect(searchedMovies(sim)).toContain(fresh.id)
    }).pipe(Effect.provide(searchLayer(settings([])))),
  )

  it.live("an episode aired less than RELEASE_GRACE ago does not make its season wanted", () =>
    Effect.gen(function* () {
      const sim = yield* start({ app: "sonarr", series: 1, seasons: 2, episodes: 2, missingRatio: 0 })
      sim.series[0]!.monitored = true
      for (const season of sim.series[0]!.seasons) season.monitored = season.seasonNumber > 0
      for (const e of sim.episodes) e.monitored = e.seasonNumber > 0
      const e = sim.episodes.find((x) => x.seasonNumber === 2)!
      Object.assign(e, {
        hasFile: false,
        episodeFileId: 0,
        airDateUtc: new Date(Date.now() - 3600_000).toISOString(),
      })
      yield* run(targetFor(sim, "tv", { releaseGrace: Duration.hours(6) }))
      expect(sim.count("/command", "POST")).toBe(0)
      yield* run(targetFor(sim, "tv", { releaseGrace: Duration.minutes(30) }))
      expect(sim.commandBodies).toEqual([{ name: "SeasonSearch", seriesId: 1, seasonNumber: 2 }])
    }).pipe(Effect.provide(searchLayer(settings([])))),
  )

  it.live("specials (season 0) are searched only with INCLUDE_SPECIALS", () =>
    Effect.gen(function* () {
      const sim = yield* start({ app: "sonarr", series: 1, seasons: 1, episodes: 2, missingRatio: 0 })
      sim.series[0]!.monitored = true
      for (const season of sim.series[0]!.seasons) season.monitored = season.seasonNumber === 0
      for (const e of sim.episodes) {
        e.monitored = e.seasonNumber === 0
        if (e.seasonNumber === 0) Object.assign(e, { hasFile: false, episodeFileId: 0 })
      }
      yield* run(targetFor(sim, "tv"))
      expect(sim.count("/command", "POST")).toBe(0)
      yield* run(targetFor(sim, "tv", { includeSpecials: true }))
      expect(sim.commandBodies).toEqual([{ name: "SeasonSearch", seriesId: 1, seasonNumber: 0 }])
    }).pipe(Effect.provide(searchLayer(settings([])))),
  )
})
