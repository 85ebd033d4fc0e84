/**
 * One fiber per target: a run, then the delay that run asked for (the
 * target's interval plus a little jitter; a shorter backoff after a failure). Runs of one target never
 * overlap and a failing run never ends its loop. Shutdown: no new searches, in-flight runs get the
 * grace period, then everything is interrupted.
 */
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as FiberMap from "effect/FiberMap"
import * as Metric from "effect/Metric"
import * as Random from "effect/Random"
import * as Ref from "effect/Ref"
import * as Schedule from "effect/Schedule"
import * as ActiveHours from "./ActiveHours.ts"
import { GatherarrConfig, type TargetConfig } from "./Config.ts"
import { Limits } from "./Limits.ts"
import { GatherarrMetrics, initialize } from "./Metrics.ts"
import { Search } from "./Search.ts"
import { State } from "./State.ts"
import { targetOf } from "./StateFile.ts"
import { Status } from "./Status.ts"

/** The first retry after a failed run; it doubles per consecutive failure, up to the interval. */
export const FAILURE_BACKOFF = Duration.seconds(30)
/** Runs start up to this share of the interval late, so targets drift apart. */
export const JITTER = 0.05

/** The longest delay a timer holds (2^31-1 ms, 24.8 days); Effect never fires a longer one. */
const MAX_TIMER = Duration.millis(2 ** 31 - 1)

/** Sleeps for `delay`, however long: a delay beyond one timer is slept in steps. */
export const sleep = (delay: Duration.Duration): Effect.Effect<void> =>
  Duration.lessThanOrEqualTo(delay, MAX_TIMER)
    ? Effect.sleep(delay)
    : Effect.zipRight(
        Effect.sleep(MAX_TIMER),
        Effect.suspend(() => sleep(Duration.subtract(delay, MAX_TIMER))),
      )

/** The delay before a target's next run. */
export const nextDelay = (interval: Duration.Duration, consecutiveFailures: number, random: number) => {
  const base =
    consecutiveFailures === 0
      ? interval
      : Duration.min(interval, Duration.times(FAILURE_BACKOFF, 2 ** Math.min(consecutiveFailures - 1, 20)))
  return Duration.millis(Math.round(Duration.toMillis(base) * (1 + JITTER * random)))
}

/** Pushes a run that would fall outside the target's active hours to when they open. */
export const intoActiveHours = (
  target: TargetConfig,
  now: number,
  delay: Duration.Duration,
  timeZone?: string,
) =>
  target.activeHours === undefined
    ? delay
    : Duration.sum(
        delay,
        Duration.millis(
          ActiveHours.millisUntilOpen(target.activeHours, now + Duration.toMillis(delay), timeZone),
        ),
      )

export class Scheduler extends Effect.Service<Scheduler>()("gatherarr/Scheduler", {
  scoped: Effect.gen(function* () {
    const config = yield* GatherarrConfig
    const search = yield* Search
    const limits = yield* Limits
    const state = yield* State
    const metrics = yield* GatherarrMetrics
    const status = yield* Status
    const targets = config.targets

    yield* initialize(metrics, targets)
    const recovered = yield* state.get
    for (const target of targets) {
      const last = targetOf(recovered, target.name).lastSuccessAt
      if (last) yield* Metric.set(metrics.forTarget(target).lastSuccess, Math.floor(Date.parse(last) / 1000))
    }

    /** One run, never failing: returns the delay until the next one. */
    const runOnce = (target: TargetConfig) =>
      Effect.gen(function* () {
        const runId = (yield* Random.nextIntBetween(0, 0xffffffff)).toString(16).padStart(8, "0")
        const started = yield* Clock.currentTimeMillis
        const failure = yield* search.run(target).pipe(
          Effect.tap((summary) =>
            Effect.logDebug("run finished").pipe(
              Effect.annotateLogs({ searched: summary.searched, skipped: summary.skipped }),
            ),
          ),
          Effect.as(undefined),
          Effect.catchAllCause((cause) =>
            Effect.gen(function* () {
              if (cause._tag === "Fail") return cause.error
              yield* Effect.logError("run failed unexpectedly", cause)
              return undefined
            }).pipe(Effect.map((error) => ({ error }))),
          ),
          Effect.annotateLogs({ run_id: runId }),
        )
        const message = failure && (failure.error?.message ?? "unexpected error")
        const after = yield* search.recordRun(target, message === undefined ? {} : { error: message })
        const now = yield* Clock.currentTimeMillis
        const delay = intoActiveHours(
          target,
          now,
          nextDelay(target.interval, after.consecutiveFailures, yield* Random.next),
          config.timeZone,
        )
        yield* status.note(target.name, { nextRunAt: new Date(now + Duration.toMillis(delay)).toISOString() })
        const next = {
          next_run_in: Duration.format(delay),
          next_run_at: new Date(now + Duration.toMillis(delay)).toISOString(),
        }
        if (failure?.error?.reason === "indexers_unavailable") {
          yield* Effect.logWarning(
            "no indexer can search; no search sent, the target is tried again at the failure backoff",
          ).pipe(Effect.annotateLogs({ run_id: runId, app_message: failure.error.appMessage ?? "", ...next }))
        } else if (message !== undefined) {
          yield* Effect.logWarning("run failed").pipe(
            Effect.annotateLogs({ run_id: runId, error: message, ...next }),
          )
        }
        yield* Effect.logDebug("next run scheduled").pipe(
          Effect.annotateLogs({ run_id: runId, took_ms: now - started, ...next }),
        )
        return delay
      }).pipe(Effect.annotateLogs({ target_name: target.name, target_type: target.type }))

    // Runs in progress, so shutdown can wait for them.
    const running = yield* Ref.make(0)
    const loop = (target: TargetConfig) => {
      const once = Effect.zipRight(
        Effect.zipRight(
          Ref.update(running, (n) => n + 1),
          status.note(target.name, { running: true }),
        ),
        Effect.ensuring(
          runOnce(target),
          Effect.zipRight(
            Ref.update(running, (n) => n - 1),
            status.note(target.name, { running: false }),
          ),
        ),
      )
      // A run, then the delay it asked for, for ever.
      const repeated = Effect.forever(Effect.flatMap(once, sleep))
      return config.runOnStart
        ? repeated
        : Effect.all([Random.next, Clock.currentTimeMillis]).pipe(
            Effect.flatMap(([r, now]) =>
              sleep(intoActiveHours(target, now, nextDelay(target.interval, 0, r), config.timeZone)),
            ),
            Effect.zipRight(repeated),
          )
    }

    const fibers = yield* FiberMap.make<string>()
    // Added after the FiberMap, so it runs before the fibers are interrupted.
    yield* Effect.addFinalizer(() =>
      Effect.gen(function* () {
        yield* limits.stop
        const grace = Duration.max(
          Duration.subtract(config.shutdownTimeout, Duration.seconds(2.5)),
          Duration.times(config.shutdownTimeout, 0.5),
        )
        // Finalizers run uninterruptibly; the wait must not, or the grace period could not end it.
        yield* Ref.get(running).pipe(
          Effect.repeat({ schedule: Schedule.spaced(Duration.millis(20)), until: (n) => n === 0 }),
          Effect.interruptible,
          Effect.timeoutOption(grace),
        )
      }),
    )
    for (const target of targets) {
      yield* FiberMap.run(fibers, target.name, loop(target))
    }
    yield* Effect.logDebug("scheduler started").pipe(
      Effect.annotateLogs({
        targets: targets.map((t) => `${t.name}:${t.type}`).join(","),
        dry_run: config.dryRun,
      }),
    )

    return {
      /** None when healthy, else a short reason. */
      health: Effect.gen(function* () {
        if (yield* limits.stopping) return "shutting down"
        for (const target of targets) {
          if (!(yield* FiberMap.has(fibers, target.name)))
            return `the loop of target ${target.name} has stopped`
        }
        return undefined
      }),
    }
  }),
  dependencies: [Search.Default, Limits.Default, State.Default, Status.Default],
}) {}
