import { mkdirSync, readFileSync, rmdirSync, rmSync } from "node:fs"
import { join } from "node:path"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as NodePath from "@effect/platform-node/NodePath"
import { describe, expect, it } from "@effect/vitest"
import * as Cause from "effect/Cause"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Metric from "effect/Metric"
import * as Redacted from "effect/Redacted"
import * as TestClock from "effect/TestClock"
import fc from "fast-check"
import { parseRetryAfter, retrySchedule } from "../../src/arr/ArrClient.ts"
import { ArrError } from "../../src/arr/ArrError.ts"
import { GatherarrConfig } from "../../src/Config.ts"
import * as Metrics from "../../src/Metrics.ts"
import { GatherarrMetrics } from "../../src/Metrics.ts"
import { Search } from "../../src/Search.ts"
import { State } from "../../src/State.ts"
import { StateStore } from "../../src/StateStore.ts"
import { searchLayer, settings, targetFor } from "../support/harness.ts"
import { Simulator } from "../support/simulator.ts"
import { tempDir } from "../support/temp.ts"

describe("retries", () => {
  it("Retry-After is read as seconds or as an HTTP date; anything else is ignored", () => {
    const now = Date.parse("2026-01-01T00:00:00Z")
    expect(Duration.toMillis(parseRetryAfter("7", now)!)).toBe(7000)
    expect(Duration.toMillis(parseRetryAfter("Thu, 01 Jan 2026 00:00:30 GMT", now)!)).toBe(30_000)
    expect(Duration.toMillis(parseRetryAfter("Wed, 31 Dec 2025 23:00:00 GMT", now)!)).toBe(0)
    expect(parseRetryAfter("soon", now)).toBeUndefined()
    expect(parseRetryAfter(undefined, now)).toBeUndefined()
  })

  it.effect(
    "are bounded: 1 + RETRY_ATTEMPTS attempts, delays doubling from the base with jitter, capped",
    () =>
      Effect.gen(function* () {
        const times: Array<number> = []
        const error = new ArrError({
          target: "t",
          endpoint: "GET /x",
          reason: "status",
          status: 503,
          detail: "down",
        })
        const attempt = Effect.flatMap(TestClock.currentTimeMillis, (now) => {
          times.push(now)
          return Effect.fail(error)
        })
        const schedule = retrySchedule({
          retryAttempts: 5,
          retryBaseDelay: Duration.seconds(1),
          retryMaxDelay: Duration.seconds(6),
        })
        const fiber = yield* Effect.fork(Effect.retry(attempt, { schedule, while: (e) => e.retryable }))
        yield* TestClock.adjust(Duration.minutes(5))
        expect(Exit.isFailure(yield* Fiber.await(fiber))).toBe(true)
        expect(times).toHaveLength(6)
        const gaps = times.slice(1).map((t, i) => Math.round(t - times[i]!))
        // 1s, 2s, 4s, then the 6s cap; each jittered by at most 20%.
        for (const [gap, nominal] of gaps.map((g, i) => [g, [1000, 2000, 4000, 8000, 16000][i]!] as const)) {
          expect(gap).toBeGreaterThanOrEqual(Math.min(nominal * 0.8, 6000))
          expect(gap).toBeLessThanOrEqual(Math.min(nominal * 1.2, 6000))
        }
      }),
  )

  it.effect("a Retry-After from the app replaces the backoff, still capped", () =>
    Effect.gen(function* () {
      const times: Array<number> = []
      const attempt = Effect.flatMap(TestClock.currentTimeMillis, (now) => {
        times.push(now)
        return Effect.fail(
          new ArrError({
            target: "t",
            endpoint: "GET /x",
            reason: "status",
            status: 429,
            detail: "slow down",
            retryAfter: Duration.seconds(times.length === 1 ? 3 : 120),
          }),
        )
      })
      const schedule = retrySchedule({
        retryAttempts: 2,
        retryBaseDelay: Duration.millis(100),
        retryMaxDelay: Duration.seconds(10),
      })
      const fiber = yield* Effect.fork(Effect.retry(attempt, { schedule, while: (e) => e.retryable }))
      yield* TestClock.adjust(Duration.minutes(5))
      yield* Fiber.await(fiber)
      expect(times.slice(1).map((t, i) => t - times[i]!)).toEqual([3000, 10_000])
    }),
  )
})

describe("oversized bodies", () => {
  it.live.each([false, true])(
    "a body over the cap is a clear error, not read whole (chunked: %s)",
    (chunked) =>
      Effect.gen(function* () {
        const sim = yield* Effect.promise(() => Simulator.start({ app: "radarr", movies: 5 }))
        sim.inject({ kind: "oversized", path: "/system/status", bytes: 2_000_000, chunked })
        const search = yield* Search
        const exit = yield* Effect.exit(search.run(targetFor(sim, "movies")))
        yield* Effect.promise(() => sim.close())
        const error = Exit.isFailure(exit) && exit.cause._tag === "Fail" ? exit.cause.error : undefined
        expect(error?.reason).toBe("too_large")
        expect(error?.message).toMatch(
          /^movies: GET \/system\/status: the response body .*exceeds 1000000 bytes$/,
        )
      }).pipe(Effect.provide(searchLayer(settings([], { maxBodyBytes: 1_000_000, retryAttempts: 0 })))),
  )
})

describe("hostile API responses (property-based)", () => {
  /** An app that answers every request with the next of the given JSON values. */
  const fakeApp = (bodies: ReadonlyArray<unknown>) => {
    let i = 0
    return Layer.succeed(
      HttpClient.HttpClient,
      HttpClient.make((request) =>
        Effect.succeed(
          HttpClientResponse.fromWeb(
            request,
            new Response(JSON.stringify(bodies[i++ % bodies.length] ?? null), {
              status: 200,
              headers: { "content-type": "application/json" },
            }),
          ),
        ),
      ),
    )
  }

  const shapes = fc.oneof(
    fc.jsonValue(),
    fc.record({ appName: fc.constantFrom("Radarr", "Sonarr", "radarr", "Lidarr"), version: fc.string() }),
    fc.record({
      page: fc.integer(),
      pageSize: fc.integer(),
      totalRecords: fc.integer(),
      records: fc.array(
        fc.record(
          {
            id: fc.oneof(fc.integer(), fc.string()),
            seriesId: fc.integer({ min: 0, max: 5 }),
            seasonNumber: fc.integer({ min: -1, max: 3 }),
            monitored: fc.oneof(fc.boolean(), fc.constant(null)),
            isAvailable: fc.boolean(),
            airDateUtc: fc.oneof(
              fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
              fc.string(),
            ),
            lastSearchTime: fc.oneof(fc.constant(undefined), fc.string()),
            tags: fc.array(fc.integer()),
            seasons: fc.array(fc.record({ seasonNumber: fc.integer(), monitored: fc.boolean() })),
            status: fc.constantFrom("queued", "completed", "failed", "weird"),
          },
          { requiredKeys: [] },
        ),
      ),
    }),
  )

  it.live("random JSON from the app never crashes a run: it succeeds or fails with a clear ArrError", () =>
    Effect.promise(() =>
      fc.assert(
        fc.asyncProperty(
          fc.constantFrom("radarr", "sonarr"),
          fc.array(shapes, { minLength: 1, maxLength: 12 }),
          async (type, bodies) => {
            const target = GatherarrConfig.target({
              name: "t",
              type: type as "radarr",
              url: "http://app",
              apiKey: Redacted.make("test-key"),
              maxSearchesPerRun: 3,
            })
            const config = settings([target], {
              retryAttempts: 0,
              commandTimeout: Duration.millis(50),
              commandPollInterval: Duration.millis(5),
            })
            const layer = Layer.merge(Search.Default, State.Default).pipe(
              Layer.provide(Layer.merge(StateStore.layerMemory(), GatherarrMetrics.layer)),
              Layer.provide(GatherarrConfig.layerFrom(config)),
              Layer.provide(fakeApp(bodies)),
            )
            const exit = await Effect.runPromiseExit(
              Effect.flatMap(Search, (s) => s.run(target)).pipe(Effect.provide(layer)),
            )
            if (Exit.isFailure(exit)) {
              const failure = Cause.failureOption(exit.cause)
              expect(Cause.isDie(exit.cause)).toBe(false)
              expect(failure._tag === "Some" && failure.value).toBeInstanceOf(ArrError)
              expect(failure._tag === "Some" && failure.value.message).toMatch(/^t: (GET|POST) \//)
            }
          },
        ),
        { numRuns: 150 },
      ),
    ),
  )
})

describe("disk trouble", () => {
  it.effect(
    "the state file replaced by a directory: writes fail and are counted, the daemon goes on, and writes again once possible",
    () =>
      Effect.gen(function* () {
        const dir = tempDir("dir")
        const path = join(dir, "state.json")
        const layer = State.Default.pipe(
          Layer.provide(Layer.merge(StateStore.layer, GatherarrMetrics.layer)),
          Layer.provide(
            Layer.mergeAll(
              GatherarrConfig.layerTest({ statePath: path }),
              NodeFileSystem.layer,
              NodePath.layer,
            ),
          ),
        )
        const before = (yield* Metric.value(Metrics.stateWriteFailures)).count
        yield* Effect.gen(function* () {
          const state = yield* State
          yield* state.update((s) => ({ ...s, totalRuns: 1 }))
          // Replace the file by a directory.
          yield* Effect.sync(() => {
            rmSync(path)
            mkdirSync(path)
          })
          yield* state.update((s) => ({ ...s, totalRuns: 2 }))
          yield* state.update((s) => ({ ...s, totalRuns: 3 }))
          expect((yield* Metric.value(Metrics.stateWriteFailures)).count - before).toBe(2)
          expect((yield* state.get).totalRuns).toBe(3)
          rmdirSync(path)
          yield* state.update((s) => ({ ...s, totalRuns: 4 }))
          expect(JSON.parse(readFileSync(path, "utf8")).totalRuns).toBe(4)
        }).pipe(Effect.provide(layer))
      }),
  )
})
