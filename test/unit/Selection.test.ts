/** Selection over a fake ArrApi and plain data: no HTTP, no services. */
import { describe, expect, it } from "@effect/vitest"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type { ArrApi, Candidate, Queue, WantedPage } from "../../src/arr/ArrApi.ts"
import type { SearchMode } from "../../src/Config.ts"
import * as Dict from "../../src/Dict.ts"
import { classify, MAX_PAGES, order, reasonFor, select, skipReason, tagFilter } from "../../src/Selection.ts"
import type { ItemState } from "../../src/StateFile.ts"

const NOW = Date.UTC(2026, 5, 1)
const DAY = 86_400_000
const iso = (ms: number) => new Date(ms).toISOString()
const movie = (id: number, extra: Partial<Candidate> = {}): Candidate => ({
  key: `movie:${id}`,
  movieId: id,
  title: `Movie ${id}`,
  ...extra,
})
const searchedAgo = (days: number): ItemState => ({
  lastProcessedAt: iso(NOW - days * DAY),
  lastResult: "not_found",
})
const noQueue: Queue = { keys: new Set(), total: 0 }

/** An app whose wanted lists hold these candidates, `pageSize` a page; it records the pages read. */
const fakeApp = (
  lists: Partial<Record<SearchMode, ReadonlyArray<Candidate>>>,
  eligible = (_: Candidate) => true,
) => {
  const reads: Array<string> = []
  const api: Pick<ArrApi, "wanted" | "eligible"> = {
    wanted: (mode, page, pageSize) =>
      Effect.sync((): WantedPage => {
        reads.push(`${mode}:${page}`)
        const all = lists[mode] ?? []
        return {
          candidates: all.slice((page - 1) * pageSize, page * pageSize),
          invalid: [],
          last: page * pageSize >= all.length,
          total: all.length,
        }
      }),
    eligible: (candidate, tags) => Effect.succeed(eligible(candidate) && tags(candidate.tags ?? [])),
  }
  return { api, reads }
}

const target = (
  overrides: Partial<{
    search: ReadonlyArray<SearchMode>
    maxSearchesPerRun: number
    cooldown: Duration.Duration
  }> = {},
) => ({
  search: ["missing"] as ReadonlyArray<SearchMode>,
  maxSearchesPerRun: 3,
  cooldown: Duration.days(7),
  ...overrides,
})
const keys = (picks: ReadonlyArray<Candidate>) => picks.map((c) => c.key)

describe("order", () => {
  it("never searched by Gatherarr first, then least recently; ties by the app's own last search", () => {
    const candidates = [
      movie(1),
      movie(2, { appLastSearch: iso(NOW - 2 * DAY) }),
      movie(3, { appLastSearch: iso(NOW - 9 * DAY) }),
      movie(4),
      movie(5),
    ]
    const items = Dict.fromEntries([
      ["movie:4", searchedAgo(30)],
      ["movie:5", searchedAgo(60)],
    ])
    expect(keys(order(candidates, items))).toEqual(["movie:1", "movie:3", "movie:2", "movie:5", "movie:4"])
    expect(reasonFor(undefined, NOW)).toBe("never searched by Gatherarr")
    expect(reasonFor(searchedAgo(30), NOW)).toBe("last searched by Gatherarr 30 days ago")
  })
})

describe("skips", () => {
  it("what is queued (the item, or an episode of the season) and what is within its cooldown", () => {
    const queue: Queue = { keys: new Set(["movie:1", "episode:77"]), total: 2 }
    const cooldown = Duration.days(7)
    expect(skipReason(movie(1), undefined, queue, cooldown, NOW)).toBe("already in the download queue")
    const season = {
      key: "series:3:season:1",
      seriesId: 3,
      seasonNumber: 1,
      episodeIds: [76, 77],
      title: "s",
    }
    expect(skipReason(season, undefined, queue, cooldown, NOW)).toBe("already in the download queue")
    expect(skipReason(movie(2), searchedAgo(6), queue, cooldown, NOW)).toBe("cooldown has not elapsed")
    expect(skipReason(movie(2), searchedAgo(8), queue, cooldown, NOW)).toBeUndefined()
  })
})

describe("select", () => {
  it.effect("picks up to the per-run limit, best first; the rest are skipped as over the limit", () =>
    Effect.gen(function* () {
      const { api } = fakeApp({ missing: [1, 2, 3, 4, 5].map((id) => movie(id)) })
      const items = Dict.fromEntries([["movie:1", searchedAgo(10)]])
      const { picks, skips } = yield* select(api, target(), items, noQueue, () => true, NOW)
      expect(keys(picks)).toEqual(["movie:2", "movie:3", "movie:4"])
      expect(skips).toEqual([
        { why: "the per-run limit is reached", candidate: movie(5) },
        { why: "the per-run limit is reached", candidate: movie(1) },
      ])
    }),
  )

  it.effect("reads more pages only while picks are missing, and no more than MAX_PAGES", () =>
    Effect.gen(function* () {
      // 25 a page; the first page all in cooldown, the second holds fresh items.
      const all = Array.from({ length: 60 }, (_, i) => movie(i + 1))
      const items = Dict.fromEntries(all.slice(0, 25).map((c) => [c.key, searchedAgo(1)] as const))
      const { api, reads } = fakeApp({ missing: all })
      const { picks } = yield* select(api, target(), items, noQueue, () => true, NOW)
      expect(keys(picks)).toEqual(["movie:26", "movie:27", "movie:28"])
      expect(reads).toEqual(["missing:1", "missing:2"])
      // Nothing fresh anywhere: the lists are read to their end, or to MAX_PAGES.
      const endless = fakeApp({ missing: Array.from({ length: 1000 }, (_, i) => movie(i + 1)) })
      const cooled = Dict.fromEntries(
        Array.from({ length: 1000 }, (_, i) => [`movie:${i + 1}`, searchedAgo(1)] as const),
      )
      yield* select(endless.api, target(), cooled, noQueue, () => true, NOW)
      expect(endless.reads).toHaveLength(MAX_PAGES)
    }),
  )

  it.effect("missing, then cutoff; an item in both is one candidate", () =>
    Effect.gen(function* () {
      const { api, reads } = fakeApp({ missing: [movie(1), movie(2)], cutoff: [movie(2), movie(3)] })
      const { picks, seen } = yield* select(
        api,
        target({ search: ["missing", "cutoff"], maxSearchesPerRun: 5 }),
        Dict.empty(),
        noQueue,
        () => true,
        NOW,
      )
      expect(keys(picks)).toEqual(["movie:1", "movie:2", "movie:3"])
      expect(seen).toEqual(["movie:1", "movie:2", "movie:3"])
      expect(reads).toEqual(["missing:1", "cutoff:1"])
    }),
  )

  it.effect("tags and other checks are asked only of items that would be picked", () =>
    Effect.gen(function* () {
      const asked: Array<string> = []
      const { api } = fakeApp(
        { missing: [1, 2, 3, 4, 5, 6].map((id) => movie(id, { tags: id % 2 === 0 ? [7] : [] })) },
        (c) => {
          asked.push(c.key)
          return true
        },
      )
      const tags = (ids: ReadonlyArray<number>) => ids.includes(7)
      const { picks } = yield* select(api, target({ maxSearchesPerRun: 2 }), Dict.empty(), noQueue, tags, NOW)
      expect(keys(picks)).toEqual(["movie:2", "movie:4"])
      expect(asked).toEqual(["movie:1", "movie:2", "movie:3", "movie:4"])
    }),
  )

  it.effect("a per-run limit of 0 reads nothing", () =>
    Effect.gen(function* () {
      const { api, reads } = fakeApp({ missing: [movie(1)] })
      const { picks } = yield* select(
        api,
        target({ maxSearchesPerRun: 0 }),
        Dict.empty(),
        noQueue,
        () => true,
        NOW,
      )
      expect(picks).toEqual([])
      expect(reads).toEqual([])
    }),
  )
})

describe("tagFilter", () => {
  const api = {
    tags: Effect.succeed(
      new Map([
        ["4k", 1],
        ["anime", 2],
        ["constructor", 3],
      ]),
    ),
  }
  it.effect("includes and excludes by label; no labels: everything", () =>
    Effect.gen(function* () {
      const all = yield* tagFilter(api, { name: "t", includeTags: [], excludeTags: [] })
      expect(all([])).toBe(true)
      const filter = yield* tagFilter(api, {
        name: "t",
        includeTags: ["4k", "constructor"],
        excludeTags: ["anime"],
      })
      expect([[1], [3], [1, 2], [], [9]].map(filter)).toEqual([true, true, false, false, false])
    }),
  )
  it.effect("an unknown label fails, naming it and the app's tags", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(tagFilter(api, { name: "t", includeTags: ["hdr"], excludeTags: [] }))
      expect(error.message).toBe(
        't: GET /tag: INCLUDE_TAGS: the app has no tag "hdr" (its tags: 4k, anime, constructor)',
      )
    }),
  )
})

describe("classify", () => {
  const timeout = Duration.minutes(5)
  const command = (status: string, message?: string) => ({ id: 9, status, ...(message ? { message } : {}) })
  it("grabbed, not found, failed, timed out", () => {
    expect(classify(Option.some(command("completed")), { grabs: 2 }, timeout)).toEqual({
      result: "grabbed",
      grabs: 2,
    })
    expect(classify(Option.some(command("completed")), { grabs: 0 }, timeout)).toEqual({
      result: "not_found",
      grabs: 0,
    })
    expect(classify(Option.some(command("failed", "Failed")), undefined, timeout)).toEqual({
      result: "failed",
      grabs: 0,
      error: "command failed: Failed",
    })
    expect(
      classify(Option.some(command("completed")), { error: "x: GET /history/movie: boom" }, timeout),
    ).toEqual({
      result: "failed",
      grabs: 0,
      error: "cannot read history: x: GET /history/movie: boom",
    })
    expect(classify(Option.none(), undefined, timeout)).toEqual({
      result: "timeout",
      grabs: 0,
      error: "the command did not finish within 5m",
    })
  })
})
