/**
 * One run for one target: check the app, select candidates (Selection.ts), send searches within the
 * limits, each at most once, follow each command to its outcome, record it. A search's failure is
 * that search's outcome; the others finish and are recorded, and the run then fails naming it.
 */
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Metric from "effect/Metric"
import * as Option from "effect/Option"
import * as ActiveHours from "./ActiveHours.ts"
import { type ArrApi, type Candidate, followCommand } from "./arr/ArrApi.ts"
import { ArrClient } from "./arr/ArrClient.ts"
import { ArrError } from "./arr/ArrError.ts"
import type { Command } from "./arr/schema.ts"
import { GatherarrConfig, type SearchMode, type TargetConfig } from "./Config.ts"
import * as Dict from "./Dict.ts"
import { Limits, type Sending, type Slot } from "./Limits.ts"
import { GatherarrMetrics } from "./Metrics.ts"
import { classify, reasonFor, select, tagFilter } from "./Selection.ts"
import { State } from "./State.ts"
import { endRun, type ItemResult, type ItemState, markSeen, searchedWithin, targetOf } from "./StateFile.ts"
import { Status } from "./Status.ts"

export interface RunSummary {
  readonly searched: number
  readonly skipped: number
}

/** What became of one pick: the slot it got, and the error of a search that went wrong. */
interface Attempt {
  readonly slot: Slot | "outside_active_hours"
  readonly error?: ArrError
}
const attempt = (slot: Attempt["slot"], error?: ArrError): Attempt => (error ? { slot, error } : { slot })

export class Search extends Effect.Service<Search>()("gatherarr/Search", {
  effect: Effect.gen(function* () {
    const config = yield* GatherarrConfig
    const arr = yield* ArrClient
    const state = yield* State
    const limits = yield* Limits
    const allMetrics = yield* GatherarrMetrics
    const status = yield* Status
    const timing = { pollInterval: config.commandPollInterval, commandTimeout: config.commandTimeout }

    /** Milliseconds until the target's active hours open (0: inside them, or none set). */
    const untilActive = (target: TargetConfig) =>
      Effect.map(Clock.currentTimeMillis, (now) =>
        target.activeHours === undefined
          ? 0
          : ActiveHours.millisUntilOpen(target.activeHours, now, config.timeZone),
      )

    const searchOne = (
      api: ArrApi,
      target: TargetConfig,
      candidate: Candidate,
      item: ItemState | undefined,
    ) =>
      Effect.gen(function* () {
        const metrics = allMetrics.forTarget(target)
        const sentAt = yield* Clock.currentTimeMillis
        const reason = reasonFor(item, sentAt)
        if (config.dryRun) {
          yield* Effect.logInfo("would search (dry run)").pipe(
            Effect.annotateLogs({ dry_run: true, item: candidate.title, reason }),
          )
          return attempt("granted")
        }
        if ((yield* untilActive(target)) > 0) return attempt("outside_active_hours")
        const at = new Date(sentAt).toISOString()
        const record = (result: ItemResult, extra: Partial<ItemState> = {}, grabs = 0) =>
          state.setItem(
            target.name,
            candidate.key,
            { lastProcessedAt: at, lastResult: result, ...extra },
            { at, target: target.name, key: candidate.key, title: api.describe(candidate), result, grabs },
          )
        let error: ArrError | undefined
        const send = Effect.gen(function* () {
          const sent = yield* Effect.either(api.search(candidate))
          if (Either.isLeft(sent) && sent.left.safeToResend) {
            // The app never took it: no budget spent, no cooldown set.
            error = sent.left
            yield* Effect.logWarning("search not sent: the app did not take it").pipe(
              Effect.annotateLogs({ item: candidate.title, error: sent.left.message }),
            )
            return "not_sent" as Sending
          }
          // From here on the search may have reached the app: it counts, answered or not.
          yield* Metric.increment(metrics.searches)
          if (Either.isLeft(sent)) {
            error = sent.left
            yield* record("failed", { lastError: sent.left.message.slice(0, 300) })
            yield* Effect.logWarning("search failed").pipe(
              Effect.annotateLogs({ item: candidate.title, result: "failed", error: sent.left.message }),
            )
            return "sent" as Sending
          }
          const { command, source } = sent.right
          yield* record("searching", { commandId: command.id })
          yield* Effect.logInfo("search command sent").pipe(
            Effect.annotateLogs({
              command_id: command.id,
              item: candidate.title,
              reason,
              command_source: source,
            }),
          )
          const final = yield* followCommand(api, command, timing).pipe(
            Effect.catchAll((e: ArrError) => {
              error = e
              return Effect.succeed(
                Option.some<Command>({
                  id: command.id,
                  status: "failed",
                  message: e.message,
                }),
              )
            }),
          )
          const counted =
            Option.isSome(final) && final.value.status === "completed"
              ? Either.match(yield* Effect.either(api.grabs(candidate, new Date(sentAt))), {
                  onLeft: (e) => ({ error: e.message }),
                  onRight: (grabs) => ({ grabs }),
                })
              : undefined
          const outcome = classify(final, counted, config.commandTimeout)
          yield* record(
            outcome.result,
            { commandId: command.id, ...(outcome.error ? { lastError: outcome.error } : {}) },
            outcome.grabs,
          )
          yield* Metric.incrementBy(metrics.grabs, outcome.grabs)
          const fields = {
            command_id: command.id,
            result: outcome.result,
            grabs: outcome.grabs,
            item: candidate.title,
          }
          if (outcome.result === "grabbed" || outcome.result === "not_found") {
            yield* Effect.logInfo(
              `search ${outcome.result === "grabbed" ? "grabbed a release" : "found nothing"}`,
            ).pipe(Effect.annotateLogs(fields))
          } else {
            yield* Effect.logWarning(`search ${outcome.result === "timeout" ? "timed out" : "failed"}`).pipe(
              Effect.annotateLogs({ ...fields, error: outcome.error }),
            )
          }
          return "sent" as Sending
        })
        const slot = yield* limits.withSearchSlot(send)
        return attempt(slot, error)
      }).pipe(Effect.annotateLogs(api.logFields(candidate)))

    /** One run for one target. Fails when the app cannot be used; the caller records that. */
    const run = Effect.fn("Search.run")(function* (target: TargetConfig) {
      const api = arr.forTarget(target)
      const metrics = allMetrics.forTarget(target)
      const closedFor = yield* untilActive(target)
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
