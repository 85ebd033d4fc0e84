/**
 * Hostile or broken answers from an app: ids that are no ids, history of other items, error
 * answers, redirects, deep and huge bodies, names that are Object.prototype's. Each is that run's
 * clear error or a skip, never a defect, a leaked secret or a wrong count.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Metric from "effect/Metric"
import * as Metrics from "../../src/Metrics.ts"
import { State } from "../../src/State.ts"
import { VERSION } from "../../src/version.ts"
import {
  captureLogs,
  failureOf,
  runAll,
  searchLayer,
  settings,
  simulators,
  targetFor,
} from "../support/harness.ts"
import type { Simulator } from "../support/simulator.ts"

const { start } = simulators()
const KEY = "h0stile-KEY-6f1c2a9e"

const wantedMovies = (sim: Simulator) => sim.movies.filter((m) => m.monitored && m.isAvailable && !m.hasFile)
/** A wanted page as Radarr writes it, with the test's own records (raw JSON text). */
const page = (records: ReadonlyArray<string>) =>
  `{"page":1,"pageSize":250,"sortKey":"movies.lastSearchTime","sortDirection":"ascending","totalRecords":${records.length},"records":[${records.join(",")}]}`
const movieJson = (id: string) =>
  `{"id":${id},"title":"Odd ${id.slice(0, 8)}","year":2001,"monitored":true,"isAvailable":true,"hasFile":false,"movieFileId":0,"tags":[]}`

describe("ids are positive whole numbers", () => {
  it.live("a record whose id is 1e400, 1.5, -5, 0 or a string is skipped, counted and said at DEBUG", () =>
    Effect.gen(function* () {
      const sim = yield* start({ app: "radarr", movies: 20 })
      const good = wantedMovies(sim)[0]!.id
      sim.inject({
        kind: "body",
        path: "/wanted/missing",
        body: page(["1e400", "1.5", "-5", "0", String(good)].map(movieJson)),
      })
      const target = targetFor(sim, "ids", { maxSearchesPerRun: 5 })
      const skips = Metrics.forTarget(target).skips
      const before = (yield* Metric.value(skips)).count
      const logs = captureLogs()
      const [exit] = yield* runAll([target]).pipe(Effect.provide(logs.layer))
      expect(Exit.isSuccess(exit!)).toBe(true)
      expect(sim.commandBodies).toEqual([{ name: "MoviesSearch", movieIds: [good] }])
      expect((yield* Metric.value(skips)).count - before).toBe(4)
      const skipped = logs.lines.filter((l) => l.message === "skipped: its id is not a positive whole number")
      expect(skipped.map((l) => l.id)).toEqual(["Infinity", "1.5", "-5", "0"])
      for (const line of skipped) expect(line.level).toBe("debug")
    }).pipe(Effect.provide(searchLayer(settings([])))),
  )

  it.live("Sonarr: an episode whose series id or season is no number is skipped", () =>
    Effect.gen(function* () {
      const sim = yield* start({ app: "sonarr", series: 3, missingRatio: 1 })
      const episode = (series: string, season: string) =>
        `{"id":9${series.length}${season.length},"seriesId":${series},"seasonNumber":${season},"episodeNumber":1,"monitored":true,"hasFile":false,"airDateUtc":"2020-01-01T00:00:00Z"}`
      const real = sim.series.find(
        (s) => s.monitored && s.seasons.some((x) => x.seasonNumber === 1 && x.monitored),
      )!
      sim.inject({
        kind: "body",
        path: "/wanted/missing",
        body: page([
          episode("0", "1"),
          episode("2.5", "1"),
          episode(String(real.id), "-1"),
          episode(String(real.id), "1"),
        ]),
      })
      const [exit] = yield* runAll([targetFor(sim, "tv", { maxSearchesPerRun: 5 })])
      expect(Exit.isSuccess(exit!)).toBe(true)
      expect(sim.commandBodies).toEqual([{ name: "SeasonSearch", seriesId: real.id, seasonNumber: 1 }])
    }).pipe(Effect.provide(searchLayer(settings([])))),
  )
})

describe("history is checked against the item", () => {
  it.live("500 grabbed records of another movie are no grab of this one", () =>
    Effect.gen(function* () {
      const sim = yield* start({ app: "radarr", movies: 20, grabProbability: 0 })
      const now = new Date().toISOString().replace(/\.\d+Z$/, "Z")
      const other = Array.from(
        { length: 500 },
        (_, i) =>
          `{"id":${i + 1},"movieId":99999,"date":"${now}","downloadId":"d${i}","eventType":"grabbed"}`,
      )
      sim.inject({ kind: "body", path: "/history/movie", body: `[${other.join(",")}]` })
      const target = targetFor(sim, "history", { maxSearchesPerRun: 1 })
      const grabs = Metrics.forTarget(target).grabs
      const before = (yield* Metric.value(grabs)).count
      yield* runAll([target])
      expect((yield* Metric.value(grabs)).count - before).toBe(0)
      expect(Object.values((yield* (yield* State).get).targets.history!.items)).toMatchObject([
        { lastResult: "not_found" },
      ])
    }).pipe(Effect.provide(searchLayer(settings([])))),
  )

  it.live("Sonarr: grabs of another season of the series are no grab of this one", () =>
    Effect.gen(function* () {
      const sim = yield* start({ app: "sonarr", series: 4, grabProbability: 0, missingRatio: 1 })
      const now = new Date().toISOString().replace(/\.\d+Z$/, "Z")
      sim.inject({
        kind: "body",
        path: "/history/series",
        body: JSON.stringify(
          [1, 2, 3].map((i) => ({
            id: i,
            seriesId: 0,
            episodeId: i,
            date: now,
            downloadId: `s${i}`,
            eventType: "grabbed",
            episode: { seasonNumber: 99 },
          })),
        ),
      })
      const [exit] = yield* runAll([targetFor(sim, "tv", { maxSearchesPerRun: 1 })])
      expect(Exit.isSuccess(exit!)).toBe(true)
      // Whatever season was searched: records of season 99 (and of series 0) count for nothing.
      expect(Object.values((yield* (yield* State).get).targets.tv!.items)).toMatchObject([
        { lastResult: "not_found" },
      ])
    }).pipe(Effect.provide(searchLayer(settings([])))),
  )
})

describe("errors a user can act on, and nothing secret in them", () => {
  it.live(
    "a non-2xx answer carries a bounded part of the app's message, without the key or a URL's query",
    () =>
      Effect.gen(function* () {
        const sim = yield* start({ app: "radarr", apiKey: KEY })
        sim.inject({
          kind: "body",
          status: 500,
          path: "/system/status",
          times: 10,
          body: JSON.stringify({
            message: `Database is locked\n(key ${KEY}) see http://radarr:7878/api/v3/x?apikey=${KEY} ${"z".repeat(500)}`,
            description: "System.Data.SQLite.SQLiteException at NzbDrone.Core.Datastore...",
          }),
        })
        const [exit] = yield* runAll([targetFor(sim, "errs")])
        const message = failureOf(exit!).message
        expect(message).toMatch(
          /^errs: GET \/system\/status: unexpected status 500: Database is locked \(key <redacted>\) see http:\/\/radarr:7878\/api\/v3\/x z+…$/,
        )
        expect(message).not.toContain(KEY)
        expect(message).not.toContain("SQLiteException")
        expect(message.length).toBeLessThan(320)
      }).pipe(Effect.provide(searchLayer(settings([], { retryAttempts: 0 })))),
  )

  it.live("the app's 503 while starting up says so", () =>
    Effect.gen(function* () {
      const sim = yield* start({ app: "sonarr" })
      sim.inject({
        kind: "body",
        status: 503,
        path: "/system/status",
        times: 10,
        body: '{"errorMessage":"Sonarr is starting up, please try again later"}',
      })
      const [exit] = yield* runAll([targetFor(sim, "boot")])
      expect(failureOf(exit!).message).toBe(
        "boot: GET /system/status: unexpected status 503: Sonarr is starting up, please try again later",
      )
    }).pipe(Effect.provide(searchLayer(settings([], { retryAttempts: 0 })))),
  )

  it.live("a redirect says where it points: scheme, host and path, no query or credentials", () =>
    Effect.gen(function* () {
      const sim = yield* start({ app: "radarr", apiKey: KEY })
      sim.inject({
        kind: "redirect",
        path: "/system/status",
        location: `https://user:pw@login.example.com/sso/login?rd=https%3A%2F%2Fradarr&apikey=${KEY}#x`,
      })
      const [exit] = yield* runAll([targetFor(sim, "proxy")])
      const error = failureOf(exit!)
      expect(error.reason).toBe("redirect")
      expect(error.message).toBe(
        "proxy: GET /system/status: redirected (302) to https://login.example.com/sso/login (a reverse proxy's login, or a wrong URL base?)",
      )
    }).pipe(Effect.provide(searchLayer(settings([])))),
  )
})

describe("bodies of any depth and size", () => {
  it.live("deeply nested JSON is a decode error of that endpoint, not an unexpected error", () =>
    Effect.gen(function* () {
      const sim = yield* start({ app: "radarr" })
      const depth = 200_000
      sim.inject({
        kind: "body",
        path: "/wanted/missing",
        body: page(["[".repeat(depth) + "]".repeat(depth)]),
      })
      const [exit] = yield* runAll([targetFor(sim, "deep")])
      const error = failureOf(exit!)
      expect(error.reason).toBe("decode")
      expect(error.message).toBe(
        "deep: GET /wanted/missing: unexpected response shape: records[0]: expected an object, got an array (1 items)",
      )
    }).pipe(Effect.provide(searchLayer(settings([])))),
  )

  it.live("a page of many megabytes that fails to decode names the first bad field, briefly", () =>
    Effect.gen(function* () {
      const sim = yield* start({ app: "radarr" })
      const records = Array.from({ length: 40_000 }, (_, i) =>
        movieJson(String(i + 1)).replace('"Odd', `"${"t".repeat(200)}`),
      )
      records.push('{"id":40001,"monitored":"true"}')
      const body = page(records)
      expect(body.length).toBeGreaterThan(10_000_000)
      sim.inject({ kind: "body", path: "/wanted/missing", body })
      const [exit] = yield* runAll([targetFor(sim, "big")])
      expect(failureOf(exit!).message).toBe(
        'big: GET /wanted/missing: unexpected response shape: records[40000].monitored: expected boolean, got "true"',
      )
    }).pipe(Effect.provide(searchLayer(settings([], { requestTimeout: Duration.seconds(20) })))),
  )
})

describe("requests say who sends them, and carry no tracing headers", () => {
  it.live(`User-Agent and UserAgent are gatherarr/${VERSION}; no traceparent or b3`, () =>
    Effect.gen(function* () {
      const sim = yield* start({ app: "radarr", movies: 20 })
      yield* runAll([targetFor(sim, "who", { maxSearchesPerRun: 1 })])
      expect(sim.requests.length).toBeGreaterThan(3)
      for (const request of sim.requests) {
        expect(request.headers["user-agent"]).toBe(`gatherarr/${VERSION}`)
        expect(request.headers.useragent).toBe(`gatherarr/${VERSION}`)
        expect(
          Object.keys(request.headers).filter((h) => /^(traceparent|tracestate|b3|x-b3-)/.test(h)),
        ).toEqual([])
      }
    }).pipe(Effect.provide(searchLayer(settings([])))),
  )

  it.live("a host that traces across services may turn propagation on", () =>
    Effect.gen(function* () {
      const sim = yield* start({ app: "radarr", movies: 20 })
      yield* runAll([targetFor(sim, "traced", { maxSearchesPerRun: 1 })]).pipe(Effect.withSpan("host"))
      expect(
        sim.requests.some((r) => r.headers.traceparent !== undefined || r.headers.b3 !== undefined),
      ).toBe(true)
    }).pipe(Effect.provide(searchLayer(settings([], { tracePropagation: true })))),
  )
})

describe("tag labels are values, never object keys", () => {
  it.live.each(["constructor", "__proto__", "toString", "hasOwnProperty"])(
    "INCLUDE_TAGS=%s finds the app's tag of that label, and only its items are searched",
    (label) =>
      Effect.gen(function* () {
        const sim = yield* start({
          app: "radarr",
          movies: 30,
          tags: [
            { id: 1, label: "other" },
            { id: 2, label },
          ],
        })
        const tagged = wantedMovies(sim).slice(0, 2)
        for (const movie of tagged) movie.tags = [2]
        const [exit] = yield* runAll([
          targetFor(sim, "tags", { includeTags: [label.toLowerCase()], maxSearchesPerRun: 5 }),
        ])
        expect(Exit.isSuccess(exit!)).toBe(true)
        expect(sim.commandBodies.map((b) => (b.movieIds as Array<number>)[0]).sort()).toEqual(
          tagged.map((m) => m.id).sort(),
        )
      }).pipe(Effect.provide(searchLayer(settings([])))),
  )

  it.live("EXCLUDE_TAGS=constructor on an app without that tag fails the run naming it", () =>
    Effect.gen(function* () {
      const sim = yield* start({ app: "radarr", movies: 10, tags: [{ id: 1, label: "4k" }] })
      const [exit] = yield* runAll([targetFor(sim, "tags", { excludeTags: ["constructor"] })])
      expect(failureOf(exit!).message).toBe(
        'tags: GET /tag: EXCLUDE_TAGS: the app has no tag "constructor" (its tags: 4k)',
      )
    }).pipe(Effect.provide(searchLayer(settings([])))),
  )
})
