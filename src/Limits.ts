/**
 * The limits shared by all targets: searches in flight (GATHERARR_CONCURRENCY) and searches in any
 * rolling hour (GATHERARR_MAX_SEARCHES_PER_HOUR, counted in the persisted state so a restart cannot
 * reset it). A search counts from the moment its POST may reach the app; one the app provably never
 * took is given back. Once stopping, no new search starts.
 */
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Ref from "effect/Ref"
import { GatherarrConfig } from "./Config.ts"
import { State } from "./State.ts"
import { recentSearches } from "./StateFile.ts"

export type Slot = "granted" | "hourly_cap" | "stopping"

/** What became of a search that held a slot. */
export type Sending = "sent" | "not_sent"

export class Limits extends Effect.Service<Limits>()("gatherarr/Limits", {
  effect: Effect.gen(function* () {
    const config = yield* GatherarrConfig
    const state = yield* State
    const inFlight = yield* Effect.makeSemaphore(config.concurrency)
    const stopping = yield* Ref.make(false)
    const running = yield* Ref.make(0)

    /** Takes one search from the hourly budget, atomically, and persists it; its time if granted. */
    const reserve = Effect.flatMap(Clock.currentTimeMillis, (now) =>
      state.modify((s) => {
        const recent = recentSearches(s, now)
        const at = new Date(now).toISOString()
        const granted = recent.length < config.maxSearchesPerHour
        const searches = granted ? [...recent, at] : recent
        return [granted ? at : undefined, { ...s, searches }, { searches }] as const
      }),
    )

    /** Gives a reserved search back (a whole write: a journal's merge of searches cannot remove one). */
    const release = (at: string) =>
      state.update((s) => {
        const index = s.searches.indexOf(at)
        return index === -1 ? s : { ...s, searches: s.searches.filter((_, i) => i !== index) }
      })

    return {
      /**
       * Runs `search` while holding a concurrency slot and one search of the hourly budget, or tells
       * why it may not run. A search that reports `not_sent` gets its budget back.
       */
      withSearchSlot: <E, R>(search: Effect.Effect<Sending, E, R>): Effect.Effect<Slot, E, R> =>
        inFlight.withPermits(1)(
          Effect.gen(function* () {
            if (yield* Ref.get(stopping)) return "stopping" as const
            const at = yield* reserve
            if (at === undefined) return "hourly_cap" as const
            yield* Ref.update(running, (n) => n + 1)
            const sending = yield* Effect.ensuring(
              search,
              Ref.update(running, (n) => n - 1),
            )
            if (sending === "not_sent") yield* release(at)
            return "granted" as const
          }),
        ),
      stop: Ref.set(stopping, true),
      stopping: Ref.get(stopping),
      /** Searches holding a slot now. */
      inFlight: Ref.get(running),
    }
  }),
  dependencies: [State.Default],
}) {}
