/**
 * One run for one target: check the app, select candidates (Selection.ts), send their searches
 * (SearchCommand.ts: within the limits, each at most once, followed and recorded). A search's
 * failure is that search's outcome; the others finish and are recorded, and the run then fails
 * naming it.
 */
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Metric from "effect/Metric"
import { ArrClient } from "./arr/ArrClient.ts"
import { ArrError } from "./arr/ArrError.ts"
import { GatherarrConfig, type SearchMode, type TargetConfig } from "./Config.ts"
import * as Dict from "./Dict.ts"
import { Limits } from "./Limits.ts"
import { GatherarrMetrics } from "./Metrics.ts"
import { makeSearchOne, untilActive } from "./SearchCommand.ts"
import { select, tagFilter } from "./Selection.ts"
import { State } from "./State.ts"
import { endRun, markSeen, searchedWithin, targetOf } from "./StateFile.ts"
import { Status } from "./Status.ts"

export interface RunSummary {
  readonly searched: number
  readonly skipped: number
}

export class Search extends Effect.Service<Search>()("gatherarr/Search", {
  effect: Effect.gen(function* () {
    const config = yield* GatherarrConfig
    const arr = yield* ArrClient
    const state = yield* State
    const limits = yield* Limits
    const allMetrics = yield* GatherarrMetrics
    const status = yield* Status
    const searchOne = makeSearchOne({ config, state, limits, metrics: allMetrics })

    /** One run for one target. Fails when the app cannot be used; the caller records that. */
    const run = Effect.fn("Search.run")(function* (target: TargetConfig) {
      const api = arr.forTarget(target)
      const metrics = allMetrics.forTarget(target)
      const closedFor = yield* untilActive(config, target)
      if (closedFor > 0) {
        yield* Effect.logDebug("outside active hours; no search this run").pipe(
          Effect.annotateLogs({
            active_hours: target.activeHours!.text,
            opens_in: Duration.format(Duration.millis(closedFor)),
          }),
        )
        return { searched: 0, skipped: 0 } satisfies RunSummary
      }
      const appVersion = yield* api.checkStatus
      yield* status.note(target.name, { appVersion })
      const now = yield* Clock.currentTimeMillis
      const items = targetOf(yield* state.get, target.name).items
      const tags = yield* tagFilter(api, target)
      const queue = yield* api.queue
      if (target.maxQueue !== undefined && queue.total >= target.maxQueue) {
        yield* Effect.logDebug("the download queue is full; searching nothing this run").pipe(
          Effect.annotateLogs({ queue_size: queue.total, max_queue: target.maxQueue }),
        )
        return { searched: 0, skipped: 0 } satisfies RunSummary
      }
      const { picks, skips, seen, totals } = yield* select(api, target, items, queue, tags, now)
      yield* status.note(target.name, { wanted: totals })
      for (const [mode, total] of Object.entries(totals) as Array<[SearchMode, number]>) {
        yield* Metric.set(metrics.wanted[mode], total)
      }
      for (const skip of skips) {
        yield* Effect.logDebug(`skipped: ${skip.why}`).pipe(
          Effect.annotateLogs(skip.candidate ? api.logFields(skip.candidate) : { id: skip.id ?? "" }),
        )
      }
      yield* Metric.incrementBy(metrics.skips, skips.length)
      // Remember when wanted items we track were last seen, so pruning keeps them.
      const tracked = seen.filter((key) => Dict.get(items, key) !== undefined)
      if (tracked.length > 0)
        yield* state.update((s) => markSeen(s, target.name, tracked, new Date(now).toISOString()))
      yield* Effect.logDebug("candidates selected").pipe(
        Effect.annotateLogs({ picks: picks.length, skipped: skips.length }),
      )
      if (picks.length > 0 && !config.dryRun) {
        const problem = yield* api.indexerProblem
        yield* Metric.set(metrics.indexersUnavailable, problem === undefined ? 0 : 1)
        yield* status.note(target.name, { indexersUnavailable: problem !== undefined })
        if (problem !== undefined) {
          return yield* new ArrError({
            target: target.name,
            endpoint: "GET /health",
            reason: "indexers_unavailable",
            detail: `no indexer can search; no search sent (the app says: ${problem})`,
            appMessage: problem,
          })
        }
      }
      const attempts = yield* Effect.forEach(
        picks,
        (c) => searchOne(api, target, c, Dict.get(items, c.key)),
        {
          concurrency: config.concurrency,
        },
      )
      const denied = attempts.filter((a) => a.slot !== "granted")
      if (denied.length > 0) {
        yield* Metric.incrementBy(metrics.skips, denied.length)
        yield* Effect.logDebug("searches not sent").pipe(
          Effect.annotateLogs({
            count: denied.length,
            why: [...new Set(denied.map((a) => a.slot))].join(", "),
          }),
        )
      }
      const failed = attempts.flatMap((a) => a.error ?? [])
      if (failed.length > 0) {
        const first = failed[0]!
        return yield* new ArrError({
          target: first.target,
          endpoint: first.endpoint,
          reason: first.reason,
          detail:
            failed.length > 1
              ? `${first.detail} (and ${failed.length - 1} more searches failed)`
              : first.detail,
          ...(first.status ? { status: first.status } : {}),
        })
      }
      const searched = attempts.filter((a) => a.slot === "granted" && !a.error?.safeToResend).length
      return { searched, skipped: skips.length + denied.length } satisfies RunSummary
    })

    /** Records a run's end in the state (and prunes the target's items). */
    const recordRun = Effect.fn("Search.recordRun")(function* (
      target: TargetConfig,
      outcome: { readonly error?: string },
    ) {
      const now = yield* Clock.currentTimeMillis
      yield* state.update((s) => endRun(s, target.name, now, target.cooldown, outcome.error))
      const after = targetOf(yield* state.get, target.name)
      const searchedWithinCooldown = searchedWithin(after, target.cooldown, now)
      yield* status.note(target.name, { searchedWithinCooldown })
      const metrics = allMetrics.forTarget(target)
      yield* Metric.set(metrics.backlogSearched, searchedWithinCooldown)
      if (outcome.error === undefined) {
        yield* Metric.increment(metrics.runSuccess)
        yield* Metric.set(metrics.lastSuccess, Math.floor(now / 1000))
      } else {
        yield* Metric.increment(metrics.runFailure)
      }
      return after
    })

    return { run, recordRun }
  }),
  dependencies: [ArrClient.Default, Limits.Default, State.Default, Status.Default],
}) {}
