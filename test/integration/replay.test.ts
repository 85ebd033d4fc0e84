/**
 * Gatherarr against bodies recorded from real Radarr 5.2 and Sonarr 3 instances (see
 * test/support/replay.ts): the simulator is our model of the apps, these are the apps. Skipped,
 * saying why, where ../shared/replay-fixtures is not beside the clone.
 */
import { afterEach, describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Redacted from "effect/Redacted"
import { GatherarrConfig } from "../../src/Config.ts"
import { State } from "../../src/State.ts"
import { ALLOWED_COMMANDS, runAll, searchLayer, settings } from "../support/harness.ts"
import { hasFixtures, NO_FIXTURES, type Replay, startReplay } from "../support/replay.ts"

const KEY = "replay-key"
const open: Array<Replay> = []
afterEach(async () => {
  for (const replay of open.splice(0)) await replay.close()
})
const replay = (profile: Parameters<typeof startReplay>[0]) =>
  Effect.promise(async () => {
    const started = await startReplay(profile, KEY)
    open.push(started)
    return started
  })

const target = (
  name: string,
  type: "radarr" | "sonarr",
  url: string,
  search: Array<"missing" | "cutoff"> = ["missing"],
) => GatherarrConfig.target({ name, type, url, apiKey: Redacted.make(KEY), search, maxSearchesPerRun: 20 })

describe.skipIf(!hasFixtures)(
  `recorded bodies of real instances${hasFixtures ? "" : ` (skipped: ${NO_FIXTURES})`}`,
  () => {
    it.live(
      "Radarr 5.2.6 (no wanted endpoints): missing and cutoff from its real library, one MoviesSearch per movie",
      () =>
        Effect.gen(function* () {
          const radarr = yield* replay("radarr-5.2")
          const [exit] = yield* runAll([target("movies", "radarr", radarr.url, ["missing", "cutoff"])])
          expect(Exit.isSuccess(exit!)).toBe(true)
          expect(radarr.requests.filter((r) => r.path.startsWith("/wanted"))).toEqual([])
          expect(radarr.requests.filter((r) => r.path === "/movie")).toHaveLength(1)
          const posted = radarr.requests
            .filter((r) => r.method === "POST")
            .map((r) => r.body as Record<string, unknown>)
          expect(posted.length).toBeGreaterThan(5)
          for (const body of posted) {
            expect(ALLOWED_COMMANDS).toContain(body.name)
            expect(body).toEqual({ name: "MoviesSearch", movieIds: [expect.any(Number)] })
          }
          const items = (yield* (yield* State).get).targets.movies!.items
          expect(Object.values(items).every((i) => i.lastResult === "not_found")).toBe(true)
        }).pipe(Effect.provide(searchLayer(settings([])))),
    )

    it.live(
      "Sonarr 3.0.9: its sort key, its queue records without a season, one SeasonSearch per season",
      () =>
        Effect.gen(function* () {
          const sonarr = yield* replay("sonarr-3")
          const [exit] = yield* runAll([target("tv", "sonarr", sonarr.url)])
          expect(Exit.isSuccess(exit!)).toBe(true)
          const wanted = sonarr.requests.find((r) => r.path === "/wanted/missing")!
          expect(wanted.query.sortKey).toBe("lastSearchTime")
          expect(sonarr.requests.find((r) => r.path === "/queue")!.query.includeEpisode).toBe("true")
          for (const r of sonarr.requests.filter((r) => r.method === "POST")) {
            expect(r.body).toEqual({
              name: "SeasonSearch",
              seriesId: expect.any(Number),
              seasonNumber: expect.any(Number),
            })
          }
        }).pipe(Effect.provide(searchLayer(settings([])))),
    )
  },
)
