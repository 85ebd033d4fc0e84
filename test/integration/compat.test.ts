/**
 * The compatibility matrix (README, "Compatibility"): the same scenarios against every app version
 * Gatherarr supports, each simulated as its source at that version behaves (`version` option of
 * the simulator): the endpoints and parameters used, missing and cutoff searches, the queue, grabs.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import { State } from "../../src/State.ts"
import { runAll, searchLayer, settings, simulators, targetFor } from "../support/harness.ts"
import type { AppType, Simulator } from "../support/simulator.ts"

const { start } = simulators()

interface Row {
  readonly row: string
  readonly app: AppType
  readonly version: string
  /** The wanted lists' sort key asked for; none: the whole library is read instead. */
  readonly sortKey?: string
  /** The queue is asked with `includeEpisode=true` (Sonarr v3's records carry no season). */
  readonly queueWithEpisodes?: boolean
}

const MATRIX: ReadonlyArray<Row> = [
  { row: "Radarr 4", app: "radarr", version: "4.7.5.7809" },
  { row: "Radarr 5 before 5.6", app: "radarr", version: "5.2.6.8376" },
  { row: "Radarr 5.6 to 5.10.3", app: "radarr", version: "5.8.3.8933", sortKey: "movieMetadata.sortTitle" },
  {
    row: "Radarr 5.10.4 and later",
    app: "radarr",
    version: "5.28.0.10274",
    sortKey: "movies.lastSearchTime",
  },
  { row: "Radarr 6", app: "radarr", version: "6.1.0.10300", sortKey: "movies.lastSearchTime" },
  {
    row: "Sonarr 3",
    app: "sonarr",
    version: "3.0.9.1549",
    sortKey: "lastSearchTime",
    queueWithEpisodes: true,
  },
  { row: "Sonarr 4 before 4.0.9", app: "sonarr", version: "4.0.8.1988", sortKey: "episodes.lastSearchTime" },
  { row: "Sonarr 4 from 4.0.9", app: "sonarr", version: "4.0.19.2900", sortKey: "episodes.lastSearchTime" },
]

const startRow = (row: Row, grabProbability = 1) =>
  start(
    row.app === "radarr"
      ? { app: "radarr", version: row.version, movies: 60, grabProbability }
      : { app: "sonarr", version: row.version, series: 8, grabProbability },
  )

const searched = (sim: Simulator) =>
  sim.commandBodies.map((b) =>
    b.name === "MoviesSearch"
      ? `movie:${(b.movieIds as Array<number>)[0]}`
      : `series:${b.seriesId}:season:${b.seasonNumber}`,
  )

describe.each(MATRIX)("$row ($version)", (row) => {
  it.live("missing: the version's endpoints and parameters, one command per item, outcomes recorded", () =>
    Effect.gen(function* () {
      const sim = yield* startRow(row)
      const [exit] = yield* runAll([targetFor(sim, "t", { maxSearchesPerRun: 3 })])
      expect(Exit.isSuccess(exit!)).toBe(true)
      expect(sim.commandBodies).toHaveLength(3)
      if (row.sortKey === undefined) {
        expect(sim.count(/^\/wanted\//)).toBe(0)
        expect(sim.count("/movie")).toBe(1)
      } else {
        const wanted = sim.requests.filter((r) => r.path === "/wanted/missing")
        expect(wanted.length).toBeGreaterThan(0)
        for (const request of wanted) {
          expect(request.query).toMatchObject({ sortKey: row.sortKey, sortDirection: "ascending" })
        }
        expect(sim.count("/movie")).toBe(0)
      }
      const queue = sim.requests.find((r) => r.path === "/queue")!
      expect(queue.query.includeEpisode).toBe(row.queueWithEpisodes ? "true" : undefined)
      const items = (yield* (yield* State).get).targets.t!.items
      expect(Object.keys(items).sort()).toEqual(searched(sim).sort())
      expect(Object.values(items).map((i) => i.lastResult)).toEqual(["grabbed", "grabbed", "grabbed"])
      // Nothing failed along the way: every request but the searches' polling answered 2xx.
      expect(
        sim.requests.filter((r) => r.path.startsWith("/wanted") || r.path === "/movie").length,
      ).toBeGreaterThan(0)
    }).pipe(Effect.provide(searchLayer(settings([])))),
  )

  it.live("missing and cutoff: both lists served, however the version lists them", () =>
    Effect.gen(function* () {
      const sim = yield* startRow(row, 0)
      const [exit] = yield* runAll([
        targetFor(sim, "t", { search: ["cutoff", "missing"], maxSearchesPerRun: 40 }),
      ])
      expect(Exit.isSuccess(exit!)).toBe(true)
      const keys = searched(sim)
      if (row.app === "radarr") {
        const cutoff = sim.movies
          .filter((m) => m.monitored && m.hasFile && m.qualityCutoffNotMet)
          .map((m) => `movie:${m.id}`)
        expect(cutoff.length).toBeGreaterThan(0)
        for (const key of cutoff) expect(keys).toContain(key)
        // Before 5.6 one library read serves both lists.
        expect(sim.count("/movie")).toBe(row.sortKey === undefined ? 1 : 0)
      } else {
        expect(sim.count("/wanted/cutoff")).toBeGreaterThan(0)
        expect(sim.count("/wanted/missing")).toBeGreaterThan(0)
      }
      expect(new Set(keys).size).toBe(keys.length)
    }).pipe(Effect.provide(searchLayer(settings([])))),
  )

  it.live("an item in the download queue is not searched", () =>
    Effect.gen(function* () {
      const sim = yield* startRow(row)
      // Everything wanted but one item is downloading.
      if (row.app === "radarr") {
        const wanted = sim.movies.filter((m) => m.monitored && m.isAvailable && !m.hasFile)
        for (const movie of wanted.slice(1)) {
          sim.queue.push({
            id: 5000 + movie.id,
            movieId: movie.id,
            downloadId: `q${movie.id}`,
            status: "downloading",
          })
        }
        yield* runAll([targetFor(sim, "t", { maxSearchesPerRun: 10 })])
        expect(searched(sim)).toEqual([`movie:${wanted[0]!.id}`])
      } else {
        const now = Date.now()
        const wanted = sim.episodes.filter(
          (e) =>
            e.seasonNumber > 0 &&
            e.monitored &&
            !e.hasFile &&
            Date.parse(e.airDateUtc ?? "") < now - 86_400_000,
        )
        const seasons = [...new Set(wanted.map((e) => `series:${e.seriesId}:season:${e.seasonNumber}`))]
        expect(seasons.length).toBeGreaterThan(1)
        // One episode of every season but the first is downloading (v3 names only the episode).
        for (const key of seasons.slice(1)) {
          const episode = wanted.find((e) => `series:${e.seriesId}:season:${e.seasonNumber}` === key)!
          sim.queue.push({
            id: 9000 + episode.id,
            seriesId: episode.seriesId,
            episodeId: episode.id,
            seasonNumber: episode.seasonNumber,
            downloadId: `q${episode.id}`,
            status: "downloading",
          })
        }
        yield* runAll([targetFor(sim, "t", { maxSearchesPerRun: 20 })])
        const monitoredSeasons = searched(sim)
        for (const key of seasons.slice(1)) expect(monitoredSeasons).not.toContain(key)
      }
    }).pipe(Effect.provide(searchLayer(settings([])))),
  )
})

describe("what Gatherarr learns of an app lasts", () => {
  it.live("a sort key the app refuses (a 500 naming it) falls back at once, and is not asked again", () =>
    Effect.gen(function* () {
      // A server that says it is Sonarr 4 but resolves sort keys as v3 does.
      const sim = yield* start({ app: "sonarr", version: "4.0.19.2900", series: 6 })
      sim.inject({
        kind: "body",
        status: 500,
        path: "/wanted/missing",
        body: JSON.stringify({
          message: "Instance property 'episodes' is not defined for type 'NzbDrone.Core.Tv.Episode'",
        }),
      })
      const target = targetFor(sim, "tv", { maxSearchesPerRun: 1 })
      const [first] = yield* runAll([target])
      expect(Exit.isSuccess(first!)).toBe(true)
      const [second] = yield* runAll([{ ...target, cooldown: target.cooldown }])
      expect(Exit.isSuccess(second!)).toBe(true)
      const keys = sim.requests.filter((r) => r.path === "/wanted/missing").map((r) => r.query.sortKey)
      // Refused once, not retried; the next key from then on.
      expect(keys[0]).toBe("episodes.lastSearchTime")
      expect(keys.slice(1).every((k) => k === "episodes.airDateUtc")).toBe(true)
      expect(keys.length).toBeGreaterThanOrEqual(3)
    }).pipe(Effect.provide(searchLayer(settings([])))),
  )

  it.live(
    "a server that says no version and answers the wanted lists with 404 is read through the library, then only so",
    () =>
      Effect.gen(function* () {
        const sim = yield* start({ app: "radarr", movies: 30, wantedEndpoints: false })
        sim.inject({ kind: "body", path: "/system/status", body: '{"appName":"Radarr"}', times: 10 })
        const target = targetFor(sim, "m", { search: ["missing", "cutoff"], maxSearchesPerRun: 2 })
        yield* runAll([target, target])
        expect(sim.count(/^\/wanted\//)).toBe(1)
        expect(sim.count("/movie")).toBe(2)
        expect(sim.commandBodies).toHaveLength(4)
      }).pipe(Effect.provide(searchLayer(settings([])))),
  )

  it.live(
    "series deleted mid-run: where /series/{id} answers 404, the whole list is read once per run at most",
    () =>
      Effect.gen(function* () {
        const sim = yield* start({ app: "sonarr", series: 6, missingRatio: 1, itemEndpoints: false })
        // The wanted list still names episodes of three series that are gone from the library.
        const episode = (id: number, seriesId: number) =>
          JSON.stringify({
            id,
            seriesId,
            seasonNumber: 1,
            episodeNumber: 1,
            monitored: true,
            hasFile: false,
            airDateUtc: "2020-01-01T00:00:00Z",
          })
        const real = sim.episodes.filter((e) => e.seasonNumber === 1).slice(0, 6)
        const records = [
          ...[901, 902, 903].map((s, i) => episode(90_000 + i, s)),
          ...real.map((e) => episode(e.id, e.seriesId)),
        ]
        sim.inject({
          kind: "body",
          path: "/wanted/missing",
          body: `{"page":1,"pageSize":250,"totalRecords":${records.length},"records":[${records.join(",")}]}`,
        })
        const [exit] = yield* runAll([targetFor(sim, "tv", { maxSearchesPerRun: 30 })])
        expect(Exit.isSuccess(exit!)).toBe(true)
        expect(sim.count("/series")).toBe(1)
        expect(sim.count(/^\/series\/\d+$/)).toBe(1)
        for (const body of sim.commandBodies) expect([901, 902, 903]).not.toContain(body.seriesId)
        expect(sim.commandBodies.length).toBeGreaterThan(0)
      }).pipe(Effect.provide(searchLayer(settings([])))),
  )
})
