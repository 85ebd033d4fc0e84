/**
 * Which items a run searches, and what came of a search: Gatherarr's order, the reasons it logs,
 * the filters (tags, queue, cooldown), the paging of the wanted lists, and the classification of a finished
 * command. Plain functions over plain data and an `ArrApi`: no service, no state of their own.
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type { ArrApi, Candidate, Queue, TagFilter } from "./arr/ArrApi.ts"
import { ArrError } from "./arr/ArrError.ts"
import type { Command } from "./arr/schema.ts"
import type { SearchMode, TargetConfig } from "./Config.ts"
import * as Dict from "./Dict.ts"
import type { ItemResult, ItemState } from "./StateFile.ts"

/** INCLUDE_TAGS and EXCLUDE_TAGS, resolved through the app's tags; an unknown label fails the run. */
export const tagFilter = (
  api: Pick<ArrApi, "tags">,
  target: Pick<TargetConfig, "name" | "includeTags" | "excludeTags">,
): Effect.Effect<TagFilter, ArrError> =>
  Effect.gen(function* () {
    if (target.includeTags.length === 0 && target.excludeTags.length === 0) return () => true
    const known = yield* api.tags
    const resolve = (key: string, labels: ReadonlyArray<string>) =>
      Effect.forEach(labels, (label) => {
        const id = known.get(label)
        return id !== undefined
          ? Effect.succeed(id)
          : Effect.fail(
              new ArrError({
                target: target.name,
                endpoint: "GET /tag",
                reason: "unknown_tag",
                detail: `${key}: the app has no tag ${JSON.stringify(label)} (its tags: ${[...known.keys()].join(", ").slice(0, 300) || "none"})`,
              }),
            )
      })
    const include = yield* resolve("INCLUDE_TAGS", target.includeTags)
    const exclude = yield* resolve("EXCLUDE_TAGS", target.excludeTags)
    return (ids) =>
      (include.length === 0 || ids.some((id) => include.includes(id))) &&
      !ids.some((id) => exclude.includes(id))
  })

/** Pages of a wanted list read in one run, at most. */
export const MAX_PAGES = 10

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
  items: Dict.Dict<ItemState>,
): Array<Candidate> => {
  const appTime = (c: Candidate) => (c.appLastSearch ? Date.parse(c.appLastSearch) : 0)
  const ours = (c: Candidate) => {
    const item = Dict.get(items, c.key)
    return item ? Date.parse(item.lastProcessedAt) : -1
  }
  return [...candidates].sort((a, b) => ours(a) - ours(b) || appTime(a) - appTime(b))
}

/** Why a candidate is not searched this run, if it is not. */
export const skipReason = (
  candidate: Candidate,
  item: ItemState | undefined,
  queue: Queue,
  cooldown: Duration.Duration,
  now: number,
): string | undefined => {
  if (queue.keys.has(candidate.key) || candidate.episodeIds?.some((id) => queue.keys.has(`episode:${id}`))) {
    return "already in the download queue"
  }
  if (item !== undefined && Date.parse(item.lastProcessedAt) + Duration.toMillis(cooldown) > now) {
    return "cooldown has not elapsed"
  }
  return undefined
}

export interface Skip {
  readonly why: string
  readonly candidate?: Candidate
  /** For a record skipped for its id: the id as sent. */
  readonly id?: string
}

export interface Selection {
  readonly picks: ReadonlyArray<Candidate>
  readonly skips: ReadonlyArray<Skip>
  /** Keys of every wanted item read, picked or not. */
  readonly seen: ReadonlyArray<string>
  /** The records each wanted list read holds in all (from its first page). */
  readonly totals: Partial<Record<SearchMode, number>>
}

/**
 * Reads the wanted lists page by page, as far as this run needs them, and picks up to the target's
 * per-run limit, best first. An item the wanted list cannot judge (tags; Sonarr: season monitored)
 * is checked only when it would be picked, and more pages are read while picks are missing.
 */
export const select = (
  api: Pick<ArrApi, "wanted" | "eligible">,
  target: Pick<TargetConfig, "search" | "maxSearchesPerRun" | "cooldown">,
  items: Dict.Dict<ItemState>,
  queue: Queue,
  tags: TagFilter,
  now: number,
): Effect.Effect<Selection, ArrError> =>
  Effect.gen(function* () {
    const needed = target.maxSearchesPerRun
    const pageSize = Math.min(250, Math.max(25, needed * 3))
    const seen = new Set<string>()
    const skips: Array<Skip> = []
    const sources = target.search.map((mode) => ({ mode, page: 1, done: needed === 0 }))
    const totals: Partial<Record<SearchMode, number>> = {}
    const pending: Array<Candidate> = []
    let fresh = 0 // pending candidates never searched by Gatherarr

    const readPage = Effect.gen(function* () {
      const source = sources.find((s) => !s.done)
      if (!source) return false
      const result = yield* api.wanted(source.mode, source.page, pageSize, now)
      if (source.page === 1) totals[source.mode] = result.total
      source.page++
      source.done = result.last || source.page > MAX_PAGES
      for (const id of result.invalid) skips.push({ why: "its id is not a positive whole number", id })
      for (const candidate of result.candidates) {
        if (seen.has(candidate.key)) continue
        seen.add(candidate.key)
        const item = Dict.get(items, candidate.key)
        const why = skipReason(candidate, item, queue, target.cooldown, now)
        if (why) skips.push({ why, candidate })
        else {
          pending.push(candidate)
          if (item === undefined) fresh++
        }
      }
      return true
    })

    const picks: Array<Candidate> = []
    while (picks.length < needed) {
      while (fresh < needed - picks.length) {
        if (!(yield* readPage)) break
      }
      if (pending.length === 0) break
      const ordered = order(pending, items)
      pending.length = 0
      fresh = 0
      for (const candidate of ordered) {
        if (picks.length >= needed) skips.push({ why: "the per-run limit is reached", candidate })
        else if (yield* api.eligible(candidate, tags)) picks.push(candidate)
      }
    }
    return { picks, skips, seen: [...seen], totals }
  })

export interface Outcome {
  readonly result: ItemResult
  readonly grabs: number
  readonly error?: string
}

/**
 * What came of a search: `final` is the command's last known state (none: it did not end within
 * the command timeout), `counted` the grabs read from history once it completed.
 */
export const classify = (
  final: Option.Option<Command>,
  counted: { readonly grabs: number } | { readonly error: string } | undefined,
  commandTimeout: Duration.Duration,
): Outcome => {
  if (Option.isNone(final)) {
    return {
      result: "timeout",
      grabs: 0,
      error: `the command did not finish within ${Duration.format(commandTimeout)}`,
    }
  }
  const command = final.value
  if (command.status !== "completed") {
    return {
      result: "failed",
      grabs: 0,
      error: `command ${command.status}${command.message ? `: ${command.message}` : ""}`.slice(0, 300),
    }
  }
  if (counted === undefined || "error" in counted) {
    return {
      result: "failed",
      grabs: 0,
      error: `cannot read history: ${counted?.error ?? "not asked"}`.slice(0, 300),
    }
  }
  return { result: counted.grabs > 0 ? "grabbed" : "not_found", grabs: counted.grabs }
}
