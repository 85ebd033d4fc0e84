/**
 * The state file's format and every pure change to it: the schema (versioned, migrated, decoded on
 * load), the patches a journal holds, and the transitions the services apply. Names and keys live
 * in prototype-free maps (Dict): a target called `constructor` or an item key `__proto__`, from the
 * configuration, a state file or an app, is a key like any other.
 */
import * as Duration from "effect/Duration"
import * as Either from "effect/Either"
import type * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import { formatIssue } from "./DecodeIssue.ts"
import * as Dict from "./Dict.ts"

export const CURRENT_VERSION = 1

export const ItemResult = Schema.Literal("grabbed", "not_found", "failed", "timeout", "searching")
export type ItemResult = typeof ItemResult.Type

export const ItemState = Schema.Struct({
  /** When Gatherarr last sent a search for the item (ISO 8601). */
  lastProcessedAt: Schema.String,
  /** `searching` until the command's outcome is known. */
  lastResult: ItemResult,
  lastError: Schema.optional(Schema.String),
  commandId: Schema.optional(Schema.Number),
  /** When the item was last seen in the app's wanted list. */
  lastSeenAt: Schema.optional(Schema.String),
})
export type ItemState = typeof ItemState.Type

export const TargetState = Schema.Struct({
  lastRunAt: Schema.optional(Schema.String),
  lastSuccessAt: Schema.optional(Schema.String),
  lastStatus: Schema.optional(Schema.Literal("success", "failure")),
  consecutiveFailures: Schema.Number,
  lastError: Schema.optional(Schema.String),
  items: Schema.Record({ key: Schema.String, value: ItemState }),
})
export type TargetState = typeof TargetState.Type

/** One of the latest searches, for the status page: what was searched, when, and what came of it. */
export const RecentSearch = Schema.Struct({
  at: Schema.String,
  target: Schema.String,
  key: Schema.String,
  /** The item's title as the app names it (a movie and its year, a series and its season). */
  title: Schema.String,
  result: ItemResult,
  grabs: Schema.Number,
})
export type RecentSearch = typeof RecentSearch.Type

/** How many of the latest searches the state keeps. */
export const RECENT_SEARCHES = 50

export const StateFile = Schema.Struct({
  version: Schema.Literal(CURRENT_VERSION),
  /** When the current process started. */
  startedAt: Schema.String,
  totalRuns: Schema.Number,
  /** Times of the searches sent in the last hour: the rolling hourly cap survives restarts. */
  searches: Schema.Array(Schema.String),
  targets: Schema.Record({ key: Schema.String, value: TargetState }),
  /**
   * The latest searches across targets, newest last, at most RECENT_SEARCHES. Optional: files
   * written before it load with none, and older Gatherarrs read files that have it.
   */
  recent: Schema.optionalWith(Schema.Array(RecentSearch), { default: () => [] }),
})
export type StateFile = typeof StateFile.Type

export const empty = (now: number): StateFile => ({
  version: CURRENT_VERSION,
  startedAt: new Date(now).toISOString(),
  totalRuns: 0,
  searches: [],
  targets: Dict.empty(),
  recent: [],
})

export type DecodeResult =
  | { readonly _tag: "Ok"; readonly state: StateFile }
  | { readonly _tag: "Corrupt"; readonly reason: string }
  | { readonly _tag: "FutureVersion"; readonly version: number }

/** Older formats, by version, to the next one. Version 1 is the first format. */
const migrations: Record<number, (old: Record<string, unknown>) => Record<string, unknown>> = {}

const decodeFile = Schema.decodeUnknownEither(StateFile)

/** Parses the file's text: the state, or why it cannot be used. */
export const decode = (text: string): DecodeResult => {
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (error) {
    return { _tag: "Corrupt", reason: `not valid JSON: ${(error as Error).message}` }
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    return { _tag: "Corrupt", reason: "not a JSON object" }
  }
  let data = json as Record<string, unknown>
  if (typeof data.version !== "number") return { _tag: "Corrupt", reason: "no version field" }
  if (data.version > CURRENT_VERSION) return { _tag: "FutureVersion", version: data.version }
  while ((data.version as number) < CURRENT_VERSION) {
    const migrate = migrations[data.version as number]
    if (!migrate) return { _tag: "Corrupt", reason: `unknown version ${data.version}` }
    data = migrate(data)
  }
  const decoded = decodeFile(data)
  return Either.isRight(decoded)
    ? { _tag: "Ok", state: toDicts(decoded.right) }
    : { _tag: "Corrupt", reason: `wrong shape: ${formatIssue(decoded.left.issue)}` }
}

/** The decoded maps as Dicts: only own entries survive, none reaches a prototype. */
const toDicts = (state: StateFile): StateFile => ({
  ...state,
  targets: Dict.fromEntries(
    Object.entries(state.targets).map(([name, target]) => [
      name,
      { ...target, items: Dict.from(target.items) },
    ]),
  ),
})

export const encode = (state: StateFile): string => JSON.stringify(state)

const HOUR = 3_600_000

/** A target with no state yet: a new one each time, as its items are updated in place. */
export const emptyTarget = (): TargetState => ({ consecutiveFailures: 0, items: Dict.empty<ItemState>() })

/** The target's state (empty when it has none yet). */
export const targetOf = (state: StateFile, name: string): TargetState =>
  Dict.get(state.targets, name) ?? emptyTarget()

export const updateTarget = (
  state: StateFile,
  name: string,
  f: (target: TargetState) => TargetState,
): StateFile => ({
  ...state,
  targets: Dict.set(state.targets, name, f(targetOf(state, name))),
})

/**
 * Sets one item. The target's `items` object is updated in place (copying 100,000 keys on every
 * outcome would dominate the cost of persisting it); the state and target objects are new.
 */
export const setItem = (state: StateFile, target: string, key: string, item: ItemState): StateFile =>
  updateTarget(state, target, (t) => ({
    ...t,
    items: Dict.setInPlace(t.items, key, item),
  }))

/**
 * A run's end: its time and status, the consecutive failures, a short error after a failure; after
 * a success the target's items are pruned. One more run in the file's lifetime.
 */
export const endRun = (
  state: StateFile,
  target: string,
  now: number,
  cooldown: Duration.Duration,
  error: string | undefined,
): StateFile => {
  const stamp = new Date(now).toISOString()
  return {
    ...updateTarget(state, target, (t) =>
      error === undefined
        ? prune(
            {
              items: t.items,
              lastRunAt: stamp,
              lastSuccessAt: stamp,
              lastStatus: "success",
              consecutiveFailures: 0,
            },
            now,
            cooldown,
          )
        : {
            ...t,
            lastRunAt: stamp,
            lastStatus: "failure",
            consecutiveFailures: t.consecutiveFailures + 1,
            lastError: error.slice(0, 300),
          },
    ),
    totalRuns: state.totalRuns + 1,
  }
}

/** Marks tracked items as seen in a wanted list at `stamp` (pruning keeps them). */
export const markSeen = (state: StateFile, target: string, keys: ReadonlyArray<string>, stamp: string) =>
  updateTarget(state, target, (t) => {
    const seen = keys.flatMap((key) => {
      const item = Dict.get(t.items, key)
      return item ? [[key, { ...item, lastSeenAt: stamp }] as const] : []
    })
    return seen.length === 0 ? t : { ...t, items: Dict.fromEntries([...Object.entries(t.items), ...seen]) }
  })

/**
 * Records a search among the latest: a search already there (same target, item and time) is
 * updated in place, a new one is appended; only the newest RECENT_SEARCHES are kept.
 */
export const noteRecent = (state: StateFile, search: RecentSearch): StateFile => {
  const same = (r: RecentSearch) => r.target === search.target && r.key === search.key && r.at === search.at
  const recent = state.recent.some(same)
    ? state.recent.map((r) => (same(r) ? search : r))
    : [...state.recent, search].slice(-RECENT_SEARCHES)
  return { ...state, recent }
}

/** A change small enough to be persisted on its own (a store may journal it instead of rewriting). */
export interface Patch {
  /** The searches of the last hour, after the change. */
  readonly searches?: ReadonlyArray<string> | undefined
  readonly item?: { readonly target: string; readonly key: string; readonly item: ItemState } | undefined
  /** A search to note among the latest. */
  readonly recent?: RecentSearch | undefined
}

const PatchSchema = Schema.Struct({
  searches: Schema.optional(Schema.Array(Schema.String)),
  item: Schema.optional(Schema.Struct({ target: Schema.String, key: Schema.String, item: ItemState })),
  recent: Schema.optional(RecentSearch),
})
const decodePatchJson = Schema.decodeUnknownOption(Schema.parseJson(PatchSchema))

/** One journal line as a patch; none when it is torn or not a patch. */
export const decodePatch = (line: string): Option.Option<Patch> => decodePatchJson(line)

/** Applies a patch (replaying a journal). Searches are merged, so a replay never loses one. */
export const applyPatch = (state: StateFile, patch: Patch): StateFile => {
  const merged = patch.searches
    ? { ...state, searches: [...new Set([...state.searches, ...patch.searches])].sort() }
    : state
  const withItem = patch.item ? setItem(merged, patch.item.target, patch.item.key, patch.item.item) : merged
  return patch.recent ? noteRecent(withItem, patch.recent) : withItem
}

/** How many items the state holds, over all targets. */
export const itemCount = (state: StateFile): number =>
  Object.values(state.targets).reduce((n, t) => n + Object.keys(t.items).length, 0)

/** How many of the target's items Gatherarr searched within the cooldown before `now`. */
export const searchedWithin = (target: TargetState, cooldown: Duration.Duration, now: number): number => {
  const horizon = now - Duration.toMillis(cooldown)
  let count = 0
  for (const item of Object.values(target.items)) if (Date.parse(item.lastProcessedAt) > horizon) count++
  return count
}

/** The searches that count against the hourly cap at `now`. */
export const recentSearches = (state: StateFile, now: number): ReadonlyArray<string> =>
  state.searches.filter((at) => Date.parse(at) > now - HOUR)

/**
 * Items that have not been searched nor seen in the wanted list for longer than the cooldown are
 * dropped, so the file does not grow forever.
 */
export const prune = (target: TargetState, now: number, cooldown: Duration.Duration): TargetState => {
  const horizon = now - Duration.toMillis(cooldown)
  const items = Object.entries(target.items).filter(([, item]) => {
    const latest = Math.max(
      Date.parse(item.lastProcessedAt),
      item.lastSeenAt ? Date.parse(item.lastSeenAt) : 0,
    )
    return latest >= horizon
  })
  return items.length === Object.keys(target.items).length
    ? target
    : { ...target, items: Dict.fromEntries(items) }
}
