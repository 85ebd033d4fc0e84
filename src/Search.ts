/**
 * One run for one target: check the app, select candidates (paged wanted lists, cooldown, queue,
 * ordering), send searches within the limits, follow each command to its outcome, record it.
 */
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Metric from "effect/Metric"
import * as Option from "effect/Option"
import * as Schedule from "effect/Schedule"
import * as ActiveHours from "./ActiveHours.ts"
import { ArrClient, ArrError } from "./arr/ArrClient.ts"
import type { ArrApi, Candidate } from "./arr/apps.ts"
import type { Command } from "./arr/schema.ts"
import { GatherarrConfig, type TargetConfig } from "./Config.ts"
import { Limits } from "./Limits.ts"
import { GatherarrMetrics, type TargetMetrics } from "./Metrics.ts"
import { type ItemResult, type ItemState, prune, State, type TargetState, updateTarget } from "./State.ts"

/** Pages of a wanted list read in one run, at most. */
const MAX_PAGES = 10
const TERMINAL = new Set(["completed", "failed", "orphaned", "aborted", "cancelled"])

export interface RunSummary {
  readonly searched: number
  readonly skipped: number
}

const days = (ms: number) => Math.floor(ms / 86_400_000)

/** Why this item was chosen, for the INFO line. */
export const reasonFor = (item: ItemState | undefined, now: number): string =>
  item === undefined
    ? "never searched by Gatherarr"
    : `last searched by Gatherarr ${days(now - Date.parse(item.lastProcessedAt))} days ago`

/**
 * Gatherarr's order: never searched by Gatherarr first, then least recently processed; ties by the
 * app's own last search time (never searched first).
 */
export const order = (
  candidates: ReadonlyArray<Candidate>,
  items: TargetState["items"],
): Array<Candidate> => {
  const appTime = (c: Candidate) => (c.appLastSearch ? Date.parse(c.appLastSearch) : 0)
  const ours = (c: Candidate) => {
    const item = items[c.key]
    return item ? Date.parse(item.lastProcessedAt) : -1
  }
  return [...candidates].sort((a, b) => ours(a) - ours(b) || appTime(a) - appTime(b))
}

export class Search extends Effect.Service<Search>()("gatherarr/Search", {
  effect: Effect.gen(function* () {
    const config = yield* GatherarrConfig
    const arr = yield* ArrClient
    const state = yield* State
    const limits = yield* Limits
    const allMetrics = yield* GatherarrMetrics

    const select = (api: ArrApi, target: TargetConfig, metrics: TargetMetrics) =>
      Effect.gen(function* () {
        const now = yield* Clock.currentTimeMillis
        const items = (yield* state.get).targets[target.name]?.items ?? {}
        const tags = yield* tagFilter(api, target)
        const queue = yield* api.queue
        if (target.maxQueue !== undefined && queue.total >= target.maxQueue) {
          yield* Effect.logDebug("the download queue is full; searching nothing this run").pipe(
            Effect.annotateLogs({ queue_size: queue.total, max_queue: target.maxQueue }),
          )
          return { picks: [], items, skipped: 0 }
        }
        const needed = target.maxSearchesPerRun
        const pageSize = Math.min(250, Math.max(25, needed * 3))
        const seen = new Set<string>()
        let skipped = 0
        const skip = (candidate: Candidate, why: string) =>
          Effect.zipRight(
            Effect.sync(() => skipped++),
            Effect.logDebug(`skipped: ${why}`).pipe(Effect.annotateLogs(api.logFields(candidate))),
          )

        // The wanted lists, page by page, as far as this run needs them.
        const sources = target.search.map((mode) => ({ mode, page: 1, done: needed === 0 }))
        const pending: Array<Candidate> = []
        const readPage = Effect.gen(function* () {
          const source = sources.find((s) => !s.done)
          if (!source) return false
          const result = yield* api.wanted(source.mode, source.page, pageSize, now)
          source.page++
          source.done = result.last || source.page > MAX_PAGES
          for (const candidate of result.candidates) {
            if (seen.has(candidate.key)) continue
            seen.add(candidate.key)
            const item = items[candidate.key]
            if (queue.keys.has(candidate.key)) {
              yield* skip(candidate, "already in the download queue")
            } else if (
              item !== undefined &&
              Date.parse(item.lastProcessedAt) + Duration.toMillis(target.cooldown) > now
            ) {
              yield* skip(candidate, "cooldown has not elapsed")
            } else {
              pending.push(candidate)
            }
          }
          return true
        })

        // Best first; an item the wanted list cannot judge (tags; Sonarr: season monitored) is
        // checked only when it would be picked, and more pages are read while picks are missing.
        const picks: Array<Candidate> = []
        while (picks.length < needed) {
          while (pending.filter((c) => items[c.key] === undefined).length < needed - picks.length) {
            if (!(yield* readPage)) break
          }
          if (pending.length === 0) break
          const ordered = order(pending, items)
          pending.length = 0
          for (const candidate of ordered) {
            if (picks.length >= needed) yield* skip(candidate, "the per-run limit is reached")
            else if (yield* api.eligible(candidate, tags)) picks.push(candidate)
          }
        }
        // Remember when wanted items we track were last seen, so pruning keeps them.
        const stamp = new Date(now).toISOString()
        const tracked = [...seen].filter((key) => items[key] !== undefined)
        if (tracked.length > 0) {
          yield* state.update((s) =>
            updateTarget(s, target.name, (t) => ({
              ...t,
              items: {
                ...t.items,
                ...Object.fromEntries(tracked.map((key) => [key, { ...t.items[key]!, lastSeenAt: stamp }])),
              },
            })),
          )
        }
        yield* Metric.incrementBy(metrics.skips, skipped)
        return { picks, items, skipped }
      })

    /** INCLUDE_TAGS and EXCLUDE_TAGS, resolved through the app's tags; an unknown label fails the run. */
    const tagFilter = (api: ArrApi, target: TargetConfig) =>
      Effect.gen(function* () {
        if (target.includeTags.length === 0 && target.excludeTags.length === 0) return () => true
        const known = yield* api.tags
        const resolve = (key: string, labels: ReadonlyArray<string>) =>
          Effect.forEach(labels, (label) =>
            known.has(label)
              ? Effect.succeed(known.get(label)!)
              : Effect.fail(
                  new ArrError({
                    target: target.name,
                    endpoint: "GET /tag",
                    reason: "unknown_tag",
                    detail: `${key}: the app has no tag ${JSON.stringify(label)} (its tags: ${[...known.keys()].join(", ") || "none"})`,
                  }),
                ),
          )
        const include = yield* resolve("INCLUDE_TAGS", target.includeTags)
        const exclude = yield* resolve("EXCLUDE_TAGS", target.excludeTags)
        return (ids: ReadonlyArray<number>) =>
          (include.length === 0 || ids.some((id) => include.includes(id))) &&
          !ids.some((id) => exclude.includes(id))
      })

    /** Milliseconds until the target's active hours open (0: inside them, or none set). */
    const untilActive = (target: TargetConfig) =>
      Effect.map(Clock.currentTimeMillis, (now) =>
        target.activeHours === undefined
          ? 0
          : ActiveHours.millisUntilOpen(target.activeHours, now, config.timeZone),
      )

    /** Polls the command until it ends or the command timeout passes. */
    const follow = (api: ArrApi, id: number) =>
      api
        .command(id)
        .pipe(
          Effect.repeat(
            Schedule.passthrough(
              Schedule.spaced(config.commandPollInterval) as Schedule.Schedule<number, Command>,
            ).pipe(Schedule.untilInput((command: Command) => TERMINAL.has(command.status))),
          ),
          Effect.timeoutOption(config.commandTimeout),
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
          return "granted" as const
        }
        if ((yield* untilActive(target)) > 0) return "outside_active_hours" as const
        const record = (result: ItemResult, extra: Partial<ItemState> = {}) =>
          state.setItem(target.name, candidate.key, {
            lastProcessedAt: new Date(sentAt).toISOString(),
            lastResult: result,
            ...extra,
          })
        return yield* limits.withSearchSlot(
          Effect.gen(function* () {
            const command = yield* api.search(candidate)
            yield* Metric.increment(metrics.searches)
            yield* record("searching", { commandId: command.id })
            yield* Effect.logInfo("search command sent").pipe(
              Effect.annotateLogs({ command_id: command.id, item: candidate.title, reason }),
            )
            const final: Option.Option<Command> = TERMINAL.has(command.status)
              ? Option.some(command)
              : yield* follow(api, command.id).pipe(
                  Effect.catchAll((error: ArrError) =>
                    Effect.succeed(
                      Option.some<Command>({ id: command.id, status: "failed", message: error.message }),
                    ),
                  ),
                )
            let result: ItemResult
            let error: string | undefined
            let grabbed = 0
            if (Option.isNone(final)) {
              result = "timeout"
              error = `the command did not finish within ${Duration.format(config.commandTimeout)}`
            } else if (final.value.status === "completed") {
              const counted = yield* api.grabs(candidate, new Date(sentAt)).pipe(Effect.either)
              if (counted._tag === "Right") {
                grabbed = counted.right
                result = grabbed > 0 ? "grabbed" : "not_found"
              } else {
                result = "failed"
                error = `cannot read history: ${counted.left.message}`
              }
            } else {
              result = "failed"
              error = `command ${final.value.status}${final.value.message ? `: ${final.value.message}` : ""}`
            }
            yield* record(result, {
              commandId: command.id,
              ...(error ? { lastError: error.slice(0, 300) } : {}),
            })
            yield* Metric.incrementBy(metrics.grabs, grabbed)
            const fields = { command_id: command.id, result, grabs: grabbed, item: candidate.title }
            if (result === "grabbed" || result === "not_found") {
              yield* Effect.logInfo(
                `search ${result === "grabbed" ? "grabbed a release" : "found nothing"}`,
              ).pipe(Effect.annotateLogs(fields))
            } else {
              yield* Effect.logWarning(`search ${result === "timeout" ? "timed out" : "failed"}`).pipe(
                Effect.annotateLogs({ ...fields, error }),
              )
            }
          }),
        )
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
      yield* api.checkStatus
      const { picks, items, skipped } = yield* select(api, target, metrics)
      yield* Effect.logDebug("candidates selected").pipe(
        Effect.annotateLogs({ picks: picks.length, skipped }),
      )
      const slots = yield* Effect.forEach(picks, (c) => searchOne(api, target, c, items[c.key]), {
        concurrency: config.concurrency,
      })
      const denied = slots.filter((slot) => slot !== "granted")
      if (denied.length > 0) {
        yield* Metric.incrementBy(metrics.skips, denied.length)
        yield* Effect.logDebug("searches not sent").pipe(
          Effect.annotateLogs({
            count: denied.length,
            why: [...new Set(denied)].join(", "),
          }),
        )
      }
      return {
        searched: slots.length - denied.length,
        skipped: skipped + denied.length,
      } satisfies RunSummary
    })

    /** Records a run's end in the state (and prunes the target's items). */
    const recordRun = Effect.fn("Search.recordRun")(function* (
      target: TargetConfig,
      outcome: { readonly error?: string },
    ) {
      const now = yield* Clock.currentTimeMillis
      const stamp = new Date(now).toISOString()
      yield* state.update((s) => ({
        ...updateTarget(s, target.name, (t) =>
          outcome.error === undefined
            ? prune(
                {
                  items: t.items,
                  lastRunAt: stamp,
                  lastSuccessAt: stamp,
                  lastStatus: "success",
                  consecutiveFailures: 0,
                },
                now,
                target.cooldown,
              )
            : {
                ...t,
                lastRunAt: stamp,
                lastStatus: "failure",
                consecutiveFailures: t.consecutiveFailures + 1,
                lastError: outcome.error!.slice(0, 300),
              },
        ),
        totalRuns: s.totalRuns + 1,
      }))
      const metrics = allMetrics.forTarget(target)
      if (outcome.error === undefined) {
        yield* Metric.increment(metrics.runSuccess)
        yield* Metric.set(metrics.lastSuccess, Math.floor(now / 1000))
      } else {
        yield* Metric.increment(metrics.runFailure)
      }
      return (yield* state.get).targets[target.name]!
    })

    return { run, recordRun }
  }),
}) {}
