/**
 * Sonarr: candidates are seasons (grouped from the wanted lists' episodes), the one command is
 * `SeasonSearch` for one season.
 *
 * - v4: `wanted/missing|cutoff` sorted by `episodes.lastSearchTime` (explicitly accepted from
 *   4.0.9, mapped before); queue records carry `seasonNumber`.
 * - v3: the sort key must name an Episode property, `lastSearchTime` (v3 answers 500 to
 *   `episodes.lastSearchTime`); queue records carry no `seasonNumber`, so the queue is asked with
 *   `includeEpisode=true`.
 * - Any version: a sort key the app refuses falls back to the air date, for the life of the process.
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import {
  type AppContext,
  type ArrApi,
  type Candidate,
  checkStatus,
  grabs,
  indexerProblem,
  isLast,
  isSeasonSearchOf,
  older,
  queue,
  sendCommand,
  shownId,
  tags,
  wantedPage,
} from "./ArrApi.ts"
import type { ArrError } from "./ArrError.ts"
import * as S from "./schema.ts"

const seasonKey = (seriesId: number, seasonNumber: number) => `series:${seriesId}:season:${seasonNumber}`

/** Sort keys of the wanted lists, best first, by version. */
const sortKeys = (context: AppContext) =>
  context.profile.atLeast(4)
    ? ["episodes.lastSearchTime", "episodes.airDateUtc"]
    : ["lastSearchTime", "airDateUtc"]

/** The items a queue record holds: its season, or, where the record names none, its episode. */
const queueKeys = (record: S.QueueRecord): ReadonlyArray<string> => {
  const season = record.seasonNumber ?? record.episode?.seasonNumber
  if (S.isId(record.seriesId) && S.isSeason(season)) return [seasonKey(record.seriesId, season)]
  return S.isId(record.episodeId) ? [`episode:${record.episodeId}`] : []
}

export const sonarr = (context: AppContext): ArrApi => {
  const { transport, profile } = context
  const grace = Duration.toMillis(transport.target.releaseGrace)

  // Series read this run: one at a time, or, where the app cannot answer for one (404), the whole
  // list, once per run at most.
  const series = new Map<number, S.Series>()
  let wholeList: Effect.Effect<void, ArrError> | undefined
  const seriesOf = (id: number) =>
    Effect.gen(function* () {
      if (series.has(id) || wholeList !== undefined) {
        if (wholeList) yield* wholeList
        return series.get(id)
      }
      const one = yield* transport.get(`/series/${id}`, S.Series).pipe(
        Effect.map((found) => [found]),
        Effect.catchIf(
          (error) => error.status === 404,
          () =>
            Effect.gen(function* () {
              wholeList = yield* Effect.cached(
                Effect.map(transport.list("/series", S.Series), (all) => {
                  for (const found of all) series.set(found.id, found)
                }),
              )
              yield* wholeList
              return []
            }),
        ),
      )
      for (const found of one) series.set(found.id, found)
      return series.get(id)
    })

  return {
    transport,
    checkStatus: checkStatus(context, "Sonarr"),
    indexerProblem: indexerProblem(transport),
    wanted: (mode, page, pageSize, now) =>
      wantedPage(context, mode, page, pageSize, sortKeys(context), S.Episode).pipe(
        Effect.map((result) => {
          // One season is one candidate however many of its episodes are wanted. Specials are
          // skipped unless asked for; an episode counts as aired only the grace period after its air date.
          const seasons = new Map<string, Candidate & { episodeIds: Array<number> }>()
          const invalid: Array<string> = []
          for (const episode of result.records) {
            if (!S.isId(episode.id) || !S.isId(episode.seriesId) || !S.isSeason(episode.seasonNumber)) {
              invalid.push(shownId(S.isId(episode.id) ? episode.seriesId : episode.id))
              continue
            }
            if (episode.seasonNumber === 0 && !transport.target.includeSpecials) continue
            const aired = episode.airDateUtc !== undefined && Date.parse(episode.airDateUtc) + grace <= now
            if (mode === "missing" && !aired) continue
            const key = seasonKey(episode.seriesId, episode.seasonNumber)
            const seen = seasons.get(key)
            const oldest =
              seen === undefined ? episode.lastSearchTime : older(seen.appLastSearch, episode.lastSearchTime)
            seasons.set(key, {
              key,
              seriesId: episode.seriesId,
              seasonNumber: episode.seasonNumber,
              episodeIds: [...(seen?.episodeIds ?? []), episode.id],
              title: `series ${episode.seriesId} season ${episode.seasonNumber}`,
              ...(oldest ? { appLastSearch: oldest } : {}),
            })
          }
          return {
            candidates: [...seasons.values()],
            invalid,
            last: isLast(result, page, pageSize),
            total: result.totalRecords,
          }
        }),
      ),
    eligible: (c, filter) =>
      Effect.map(
        seriesOf(c.seriesId!),
        (found) =>
          found?.monitored === true &&
          found.seasons.some((s) => s.seasonNumber === c.seasonNumber && s.monitored) &&
          filter(found.tags),
      ),
    tags: tags(transport),
    queue: Effect.suspend(() =>
      queue(transport, profile.atLeast(4) ? {} : { includeEpisode: true }, queueKeys),
    ),
    search: (c) =>
      sendCommand(
        context,
        { name: "SeasonSearch", seriesId: c.seriesId, seasonNumber: c.seasonNumber },
        isSeasonSearchOf(c.seriesId!, c.seasonNumber!),
      ),
    command: (id) => transport.get(`/command/${id}`, S.Command),
    grabs: (c, since) =>
      grabs(
        context,
        ["/history/series", { seriesId: c.seriesId!, seasonNumber: c.seasonNumber!, includeEpisode: true }],
        since,
        // Records say their season when the episode is included; a server that leaves it out was
        // asked for this season only.
        (r) => r.seriesId === c.seriesId && (r.episode?.seasonNumber ?? c.seasonNumber) === c.seasonNumber,
        { includeEpisode: true },
      ),
    logFields: (c) => ({ series_id: c.seriesId!, season_number: c.seasonNumber! }),
    describe: (c) => {
      const title = series.get(c.seriesId!)?.title
      return title ? `${title.slice(0, 200)} season ${c.seasonNumber}` : c.title
    },
  }
}
