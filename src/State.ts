/**
 * The state in memory, authoritative; every change is persisted through the StateStore port, one
 * write at a time. The format and its pure transitions are in StateFile.ts.
 */
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Metric from "effect/Metric"
import * as Option from "effect/Option"
import * as Ref from "effect/Ref"
import { GatherarrMetrics } from "./Metrics.ts"
import {
  empty,
  type ItemState,
  noteRecent,
  type Patch,
  type RecentSearch,
  type StateFile,
  setItem,
} from "./StateFile.ts"
import { StateStore } from "./StateStore.ts"

/** A failed write is logged and counted; the next change writes again. */
export class State extends Effect.Service<State>()("gatherarr/State", {
  scoped: Effect.gen(function* () {
    const store = yield* StateStore
    const metrics = yield* GatherarrMetrics
    const now = yield* Clock.currentTimeMillis
    const loaded = yield* store.load
    const ref = yield* Ref.make<StateFile>({
      ...Option.getOrElse(loaded, () => empty(now)),
      startedAt: new Date(now).toISOString(),
    })
    const writer = yield* Effect.makeSemaphore(1)
    const dirty = yield* Ref.make(false)

    const persist = (patch?: Patch) =>
      writer.withPermits(1)(
        Effect.gen(function* () {
          const wasDirty = yield* Ref.getAndSet(dirty, false)
          const snapshot = yield* Ref.get(ref)
          // After a failed write only a whole snapshot catches up.
          yield* (
            patch && store.saveChange && !wasDirty ? store.saveChange(snapshot, patch) : store.save(snapshot)
          ).pipe(
            Effect.catchAll((error) =>
              Effect.zipRight(
                Metric.increment(metrics.stateWriteFailures),
                Effect.logWarning(
                  "state write failed; keeping the state in memory and retrying at the next write",
                ).pipe(Effect.annotateLogs({ reason: error.message }), Effect.zipRight(Ref.set(dirty, true))),
              ),
            ),
          )
        }),
      )

    // The last write on the way out, bounded so shutdown stays on time.
    yield* Effect.addFinalizer(() => persist().pipe(Effect.timeoutOption(Duration.seconds(2))))

    return {
      recovered: Option.isSome(loaded),
      get: Ref.get(ref),
      /** Applies a change and persists the whole state. */
      update: (f: (state: StateFile) => StateFile) => Effect.zipRight(Ref.update(ref, f), persist()),
      /** Applies a change that also returns a value and a patch describing it, and persists the patch. */
      modify: <A>(f: (state: StateFile) => readonly [A, StateFile, Patch]) =>
        Effect.flatMap(
          Ref.modify(ref, (s) => {
            const [a, next, patch] = f(s)
            return [[a, patch] as const, next]
          }),
          ([a, patch]) => Effect.as(persist(patch), a),
        ),
      /** Sets one item (and notes it among the latest searches) and persists just that change. */
      setItem: (target: string, key: string, item: ItemState, recent?: RecentSearch) =>
        Effect.zipRight(
          Ref.update(ref, (s) => {
            const next = setItem(s, target, key, item)
            return recent ? noteRecent(next, recent) : next
          }),
          persist({ item: { target, key, item }, recent }),
        ),
      /** Whether the last write failed (the next change retries it). */
      dirty: Ref.get(dirty),
    }
  }),
}) {}
