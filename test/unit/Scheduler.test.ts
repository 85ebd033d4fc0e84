import { describe, expect, it } from "@effect/vitest"
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Scope from "effect/Scope"
import * as TestClock from "effect/TestClock"
import { vi } from "vitest"
import { ArrError } from "../../src/arr/ArrError.ts"
import { GatherarrConfig, type GatherarrSettings, type TargetConfig } from "../../src/Config.ts"
import { Limits } from "../../src/Limits.ts"
import { GatherarrMetrics } from "../../src/Metrics.ts"
import { FAILURE_BACKOFF, intoActiveHours, JITTER, nextDelay, Scheduler, sleep } from "../../src/Scheduler.ts"
import { Search } from "../../src/Search.ts"
import { State } from "../../src/State.ts"
import { emptyTarget } from "../../src/StateFile.ts"
import { StateStore } from "../../src/StateStore.ts"
import { Status } from "../../src/Status.ts"

const target = (name: string, interval = Duration.hours(1)): TargetConfig =>
  GatherarrConfig.target({ name, type: "radarr", url: "http://unused", apiKey: Redacted.make("k"), interval })

interface Script {
  /** How long each run takes. */
  readonly takes?: Duration.Duration
  /** Which runs (0-based) fail. */
  readonly failing?: (run: number, target: string) => boolean
  /** Which runs die while being recorded (a defect the loop does not survive). */
  readonly dying?: (run: number) => boolean
}

/** A Search that records when runs start and end, on the (test) clock. */
const fakeSearch = (script: Script = {}) => {
  const runs: Array<{ target: string; start: number; end?: number }> = []
  const failures = new Map<string, number>()
  const layer = Layer.succeed(
    Search,
    Search.make({
      run: (t) =>
        Effect.gen(function* () {
          const entry: { target: string; start: number; end?: number } = {
            target: t.name,
            start: yield* Clock.currentTimeMillis,
          }
          runs.push(entry)
          const index = runs.filter((r) => r.target === t.name).length - 1
          yield* Effect.sleep(script.takes ?? Duration.seconds(10))
          entry.end = yield* Clock.currentTimeMillis
          if (script.failing?.(index, t.name)) {
            return yield* new ArrError({
              target: t.name,
              endpoint: "GET /x",
              reason: "transport",
              detail: "down",
            })
          }
          return { searched: 1, skipped: 0 }
        }),
      recordRun: (t, outcome) =>
        Effect.suspend(() => {
          const index = runs.filter((r) => r.target === t.name).length - 1
          if (script.dying?.(index)) return Effect.die("boom")
          const count = outcome.error === undefined ? 0 : (failures.get(t.name) ?? 0) + 1
          failures.set(t.name, count)
          return Effect.succeed({ ...emptyTarget(), consecutiveFailures: count })
        }),
    }),
  )
  return { runs, layer }
}

const schedulerLayer = (settings: GatherarrSettings, search: Layer.Layer<Search>) =>
  Scheduler.DefaultWithoutDependencies.pipe(
    Layer.provide(Layer.merge(search, Status.Default)),
    Layer.provideMerge(Limits.Default),
    Layer.provideMerge(State.Default),
    Layer.provide(Layer.merge(StateStore.layerMemory(), GatherarrMetrics.layer)),
    Layer.provideMerge(GatherarrConfig.layerFrom(settings)),
  )

const starts = (runs: ReadonlyArray<{ target: string; start: number }>, name: string) =>
  runs.filter((r) => r.target === name).map((r) => r.start)

describe("nextDelay", () => {
  it("is the interval plus at most 5% jitter after a success", () => {
    expect(Duration.toMillis(nextDelay(Duration.hours(1), 0, 0))).toBe(3_600_000)
    expect(Duration.toMillis(nextDelay(Duration.hours(1), 0, 0.999))).toBeLessThanOrEqual(
      3_600_000 * (1 + JITTER),
    )
  })

  it("backs off from 30s, doubling per consecutive failure, never beyond the interval", () => {
    const delays = [1, 2, 3, 4, 5, 6, 7, 8, 50].map((n) =>
      Duration.toMillis(nextDelay(Duration.minutes(10), n, 0)),
    )
    expect(delays).toEqual([30_000, 60_000, 120_000, 240_000, 480_000, 600_000, 600_000, 600_000, 600_000])
    expect(Duration.toMillis(FAILURE_BACKOFF)).toBe(30_000)
  })
})

describe("intoActiveHours", () => {
  it("pushes a next run that would fall outside the window to its opening", () => {
    const activeHours = { start: 60, end: 7 * 60, text: "01:00-07:00" }
    const t = { ...target("a"), activeHours }
    const at = (iso: string, hours: number) =>
      Duration.toMillis(intoActiveHours(t, Date.parse(iso), Duration.hours(hours), "UTC")) / 3_600_000
    expect(at("2026-01-01T02:00:00Z", 1)).toBe(1) // 03:00, inside
    expect(at("2026-01-01T06:30:00Z", 1)).toBe(18.5) // 07:30 is outside: to 01:00 next day
    expect(Duration.toMillis(intoActiveHours(target("b"), 0, Duration.hours(1)))).toBe(3_600_000)
  })
})

describe("Scheduler", () => {
  it.scoped("runs every target at start, then every interval (with jitter), runs never overlapping", () => {
    const search = fakeSearch({ takes: Duration.minutes(2) })
    const settings = GatherarrConfig.make({ targets: [target("a"), target("b", Duration.minutes(30))] })
    return Effect.gen(function* () {
      yield* Layer.build(schedulerLayer(settings, search.layer))
      yield* TestClock.adjust(Duration.hours(5))
      const a = starts(search.runs, "a")
      const b = starts(search.runs, "b")
      expect(a[0]).toBe(0)
      expect(b[0]).toBe(0)
      // Each next run starts one interval (plus up to 5%) after the previous one ended.
      for (const [runs, interval] of [
        [search.runs.filter((r) => r.target === "a"), 3_600_000],
        [search.runs.filter((r) => r.target === "b"), 1_800_000],
      ] as const) {
        for (let i = 1; i < runs.length; i++) {
          const gap = runs[i]!.start - runs[i - 1]!.end!
          expect(gap).toBeGreaterThanOrEqual(interval)
          expect(gap).toBeLessThanOrEqual(interval * (1 + JITTER))
        }
      }
      expect(a.length).toBeGreaterThanOrEqual(4)
      expect(b.length).toBeGreaterThanOrEqual(8)
    })
  })

  it.scoped("with GATHERARR_RUN_ON_START=false the first run waits one interval", () => {
    const search = fakeSearch()
    const settings = GatherarrConfig.make({ targets: [target("a")], runOnStart: false })
    return Effect.gen(function* () {
      yield* Layer.build(schedulerLayer(settings, search.layer))
      yield* TestClock.adjust(Duration.minutes(59))
      expect(search.runs).toHaveLength(0)
      yield* TestClock.adjust(Duration.minutes(5))
      expect(search.runs).toHaveLength(1)
    })
  })

  it.scoped("a failing run backs off, keeps its loop, and never stops another target", () => {
    const search = fakeSearch({
      takes: Duration.seconds(1),
      failing: (run, name) => name === "down" && run < 3,
    })
    const settings = GatherarrConfig.make({ targets: [target("down"), target("up")] })
    return Effect.gen(function* () {
      const scheduler = yield* Layer.build(schedulerLayer(settings, search.layer)).pipe(
        Effect.map((ctx) => ctx.unsafeMap.get(Scheduler.key) as Scheduler),
      )
      yield* TestClock.adjust(Duration.hours(2))
      const down = search.runs.filter((r) => r.target === "down")
      const gaps = down.slice(1).map((r, i) => r.start - down[i]!.end!)
      expect(gaps[0]).toBeGreaterThanOrEqual(30_000)
      expect(gaps[0]).toBeLessThanOrEqual(30_000 * (1 + JITTER))
      expect(gaps[1]).toBeGreaterThanOrEqual(60_000)
      expect(gaps[2]).toBeGreaterThanOrEqual(120_000)
      expect(gaps[3]).toBeGreaterThanOrEqual(3_600_000) // recovered: back to the interval
      expect(starts(search.runs, "up").length).toBe(2)
      expect(yield* scheduler.health).toBeUndefined()
    })
  })

  it.scoped("/health reports a target loop that died", () => {
    const search = fakeSearch({ takes: Duration.seconds(1), dying: (run) => run === 1 })
    const settings = GatherarrConfig.make({ targets: [target("a")] })
    return Effect.gen(function* () {
      const context = yield* Layer.build(schedulerLayer(settings, search.layer))
      const scheduler = context.unsafeMap.get(Scheduler.key) as Scheduler
      yield* TestClock.adjust(Duration.seconds(5))
      expect(yield* scheduler.health).toBeUndefined()
      yield* TestClock.adjust(Duration.hours(2))
      expect(yield* scheduler.health).toBe("the loop of target a has stopped")
    })
  })

  it.live("shutdown lets a short in-flight run finish, then reports shutting down", () =>
    Effect.gen(function* () {
      const search = fakeSearch({ takes: Duration.millis(300) })
      const settings = GatherarrConfig.make({ targets: [target("a")], shutdownTimeout: Duration.seconds(2) })
      const scope = yield* Scope.make()
      const context = yield* Layer.buildWithScope(schedulerLayer(settings, search.layer), scope)
      yield* Effect.sleep("50 millis")
      yield* Scope.close(scope, Exit.void)
      expect(search.runs[0]!.end).toBeDefined()
      expect(yield* (context.unsafeMap.get(Scheduler.key) as Scheduler).health).toBe("shutting down")
    }),
  )

  it.live("shutdown interrupts a long run within the grace period", () =>
    Effect.gen(function* () {
      const search = fakeSearch({ takes: Duration.minutes(5) })
      const settings = GatherarrConfig.make({ targets: [target("a")], shutdownTimeout: Duration.seconds(2) })
      const scope = yield* Scope.make()
      yield* Layer.buildWithScope(schedulerLayer(settings, search.layer), scope)
      yield* Effect.sleep("50 millis")
      const started = Date.now()
      yield* Scope.close(scope, Exit.void)
      const took = Date.now() - started
      expect(search.runs[0]!.end).toBeUndefined()
      expect(took).toBeGreaterThanOrEqual(900)
      expect(took).toBeLessThan(2000)
    }),
  )
})

describe("long intervals", () => {
  const DAY = 86_400_000
  // Node's timers hold at most 2^31-1 ms (24.8 days), and Effect's live clock never fires a longer
  // sleep. These run on the live clock with faked timers, as the daemon would, not on the TestClock.
  const withFakeTimers = async (body: () => Promise<void>) => {
    vi.useFakeTimers()
    try {
      await body()
    } finally {
      vi.useRealTimers()
    }
  }

  it("sleep ends after a delay longer than one timer", () =>
    withFakeTimers(async () => {
      let done = false
      const fiber = Effect.runFork(
        Effect.zipRight(
          sleep(Duration.days(30)),
          Effect.sync(() => (done = true)),
        ),
      )
      await vi.advanceTimersByTimeAsync(29 * DAY)
      expect(done).toBe(false)
      await vi.advanceTimersByTimeAsync(DAY + 1000)
      expect(done).toBe(true)
      Effect.runFork(Fiber.interrupt(fiber))
    }))

  it.each([
    ["just under one timer", Duration.days(23)],
    ["60 days", Duration.days(60)],
    ["the maximum, 365 days", Duration.days(365)],
  ])("a target with an interval of %s runs again after it", (_, interval) =>
    withFakeTimers(async () => {
      const search = fakeSearch({ takes: Duration.zero })
      const settings = GatherarrConfig.make({ targets: [target("a", interval)] })
      const scope = Effect.runSync(Scope.make())
      await Effect.runPromise(Layer.buildWithScope(schedulerLayer(settings, search.layer), scope))
      await vi.advanceTimersByTimeAsync(1000)
      expect(search.runs).toHaveLength(1)
      await vi.advanceTimersByTimeAsync(Duration.toMillis(interval) - 2000)
      expect(search.runs).toHaveLength(1)
      // The interval plus at most 5% jitter.
      await vi.advanceTimersByTimeAsync(Duration.toMillis(interval) * JITTER + 2000)
      expect(search.runs).toHaveLength(2)
      const closing = Effect.runPromise(Scope.close(scope, Exit.void))
      await vi.advanceTimersByTimeAsync(10_000)
      await closing
    }),
  )
})
