/**
 * One search, from decision to outcome: sent within the limits, at most once (a failure that proves
 * the app never took it spends nothing), followed to its outcome, recorded in the state and logged.
 * A search's failure is its own outcome, returned, never thrown: its siblings go on.
 */
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Metric from "effect/Metric"
import * as Option from "effect/Option"
import * as ActiveHours from "./ActiveHours.ts"
import { type ArrApi, type Candidate, followCommand } from "./arr/ArrApi.ts"
import type { ArrError } from "./arr/ArrError.ts"
import type { Command } from "./arr/schema.ts"
import type { GatherarrSettings, TargetConfig } from "./Config.ts"
import type { Limits, Sending, Slot } from "./Limits.ts"
import type { GatherarrMetricsShape } from "./Metrics.ts"
import { classify, reasonFor } from "./Selection.ts"
import type { State } from "./State.ts"
import type { ItemResult, ItemState } from "./StateFile.ts"

/** What became of one pick: the slot it got, and the error of a search that went wrong. */
export interface Attempt {
  readonly slot: Slot | "outside_active_hours"
  readonly error?: ArrError
}
const attempt = (slot: Attempt["slot"], error?: ArrError): Attempt => (error ? { slot, error } : { slot })

/** What one search needs: the services Search holds. */
export interface SearchDeps {
  readonly config: GatherarrSettings
  readonly state: State
  readonly limits: Limits
  readonly metrics: GatherarrMetricsShape
}

/** Milliseconds until the target's active hours open (0: inside them, or none set). */
export const untilActive = (config: GatherarrSettings, target: TargetConfig) =>
  Effect.map(Clock.currentTimeMillis, (now) =>
    target.activeHours === undefined
      ? 0
      : ActiveHours.millisUntilOpen(target.activeHours, now, config.timeZone),
  )

/** Sends, follows and records the search of one candidate. */
export const makeSearchOne = ({ config, state, limits, metrics: allMetrics }: SearchDeps) => {
  const timing = { pollInterval: config.commandPollInterval, commandTimeout: config.commandTimeout }
  return (api: ArrApi, target: TargetConfig, candidate: Candidate, item: ItemState | undefined) =>
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
      if ((yield* untilActive(config, target)) > 0) return attempt("outside_active_hours")
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
}
