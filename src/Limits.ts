/**
 * The limits shared by all targets: searches in flight (GATHERARR_CONCURRENCY) and searches in any
 * rolling hour (GATHERARR_MAX_SEARCHES_PER_HOUR, counted in the persisted state so a restart cannot
 * reset it). Once stopping, no new search starts.
 */
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Ref from "effect/Ref"
import { GatherarrConfig } from "./Config.ts"
import { recentSearches, State } from "./State.ts"

export type Slot = "granted" | "hourly_cap" | "stopping"

export class Limits extends Effect.Service<Limits>()("gatherarr/Limits", {
  effect: Effect.gen(function* () {
    const config = yield* GatherarrConfig
    const state = yield* State
    const inFlight = yield* Effect.makeSemaphore(config.concurrency)
    const stopping = yield* Ref.make(false)

    /** Takes one search from the hourly budget, atomically, and persists it. */
    const reserve = Effect.flatMap(Clock.currentTimeMillis, (now) =>
      state.modify((s) => {
        const recent = recentSearches(s, now)
        const granted = recent.length < config.maxSearchesPerHour
        const searches = granted ? [...recent, new Date(now).toISOString()] : recent
        return [granted, { ...s, searches }, { searches }] as const
      }),
    )

    return {
      /**
       * Runs `search` while holding a concurrency slot and one search of the hourly budget, or tells
       * why it may not run.
       */
      withSearchSlot: <E, R>(search: Effect.Effect<void, E, R>): Effect.Effect<Slot, E, R> =>
        inFlight.withPermits(1)(
          Effect.flatMap(Ref.get(stopping), (stop) =>
            stop
              ? Effect.succeed<Slot>("stopping")
              : Effect.flatMap(reserve, (granted) =>
                  granted ? Effect.as(search, "granted" as const) : Effect.succeed<Slot>("hourly_cap"),
                ),
          ),
        ),
      stop: Ref.set(stopping, true),
      stopping: Ref.get(stopping),
    }
  }),
}) {}
