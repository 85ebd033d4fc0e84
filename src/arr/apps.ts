/**
 * What differs between Radarr and Sonarr: where candidates come from, the one search command each
 * may send (MoviesSearch for one movie, SeasonSearch for one season; nothing else is ever built),
 * and how grabs are read back from history.
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import type { SearchMode } from "../Config.ts"
import { ArrError, type Transport } from "./ArrClient.ts"
import * as S from "./schema.ts"

export interface Candidate {
  /** `movie:<id>` or `series:<id>:season:<n>`: the item's key in the state file. */
  readonly key: string
  readonly movieId?: number
  readonly seriesId?: number
  readonly seasonNumber?: number
  readonly title: string
  /** The app's own last search time (for a season, its least recently searched episode). */
  readonly appLastSearch?: string
  /** The item's tag ids, where the wanted list carries them (Radarr). */
  readonly tags?: ReadonlyArray<number>
}

/** Whether an item with these tag ids may be searched. */
export type TagFilter = (tags: ReadonlyArray<number>) => boolean

export interface WantedPage {
  readonly candidates: ReadonlyArray<Candidate>
  /** No further page. */
  readonly last: boolean
}

export interface ArrApi {
  readonly transport: Transport
  /** Confirms the URL points at the configured kind of app. */
  readonly checkStatus: Effect.Effect<void, ArrError>
  /** One page of a wanted list, as candidates: monitored, released (past the grace), not specials unless asked. */
  readonly wanted: (
    mode: SearchMode,
    page: number,
    pageSize: number,
    now: number,
  ) => Effect.Effect<WantedPage, ArrError>
  /** Checks not expressible in the wanted query: tags; Sonarr: the series and season are monitored. */
  readonly eligible: (candidate: Candidate, tags: TagFilter) => Effect.Effect<boolean, ArrError>
  /** The app's tags, label (lower case) to id. */
  readonly tags: Effect.Effect<ReadonlyMap<string, number>, ArrError>
  /** Keys of items in the download queue, and the queue's size. */
  readonly queue: Effect.Effect<{ readonly keys: ReadonlySet<string>; readonly total: number }, ArrError>
  readonly search: (candidate: Candidate) => Effect.Effect<S.Command, ArrError>
  readonly command: (id: number) => Effect.Effect<S.Command, ArrError>
  /** Distinct downloads grabbed for the item since the given time. */
  readonly grabs: (candidate: Candidate, since: Date) => Effect.Effect<number, ArrError>
  /** Log fields naming the item. */
  readonly logFields: (candidate: Candidate) => Record<string, number>
}

const PAGE_LIMIT = 20

/** The older of two ISO times (compared as times: the apps may or may not write fractions of a
 * second); never searched (undefined) is oldest. */
const older = (a: string | undefined, b: string | undefined) =>
  a === undefined || b === undefined ? undefined : Date.parse(b) < Date.parse(a) ? b : a
const QUEUE_PAGE_SIZE = 500

/**
 * Grabbed history records: `eventType=1`, which every app version takes (API-NOTES §6.2), or, from
 * a server that holds to the specs' string enum and refuses the number (400), `eventType=grabbed`.
 */
const grabbed = (transport: Transport, path: string, params: Record<string, number | boolean | string>) =>
  transport.get(path, S.History, { ...params, eventType: 1 }).pipe(
    Effect.catchIf(
      (error) => error.status === 400,
      () => transport.get(path, S.History, { ...params, eventType: "grabbed" }),
    ),
  )

/**
 * Grabbed records for one item since a time: the item's own history endpoint, or, where the app
 * has none (404), `history/since` filtered to the item.
 */
const itemHistory = (
  transport: Transport,
  byItem: readonly [path: string, params: Record<string, number>],
  since: Date,
  belongs: (record: typeof S.HistoryRecord.Type) => boolean,
  extra: Record<string, boolean> = {},
) =>
  grabbed(transport, ...byItem).pipe(
    Effect.catchAll((error) =>
      error.status === 404
        ? grabbed(transport, "/history/since", {
            date: new Date(Math.floor(since.getTime() / 1000) * 1000 - 1000)
              .toISOString()
              .replace(".000Z", "Z"),
            ...extra,
          }).pipe(Effect.map((records) => records.filter(belongs)))
        : Effect.fail(error),
    ),
    Effect.map((records) => countGrabs(records, since)),
  )

const countGrabs = (records: ReadonlyArray<typeof S.HistoryRecord.Type>, since: Date) => {
  const from = Math.floor(since.getTime() / 1000) * 1000 - 1000
  const downloads = new Set(
    records
      .filter((r) => (r.eventType === "grabbed" || r.eventType === 1) && Date.parse(r.date) >= from)
      .map((r) => r.downloadId ?? `history:${r.id}`),
  )
  return downloads.size
}

const common = (
  transport: Transport,
  appName: "Radarr" | "Sonarr",
  queueKey: (r: S.QueueRecord) => string | undefined,
) => ({
  transport,
  checkStatus: transport.get("/system/status", S.SystemStatus).pipe(
    Effect.flatMap((status) =>
      // A server that does not say which app it is gets the benefit of the doubt.
      status.appName === undefined || status.appName.toLowerCase() === appName.toLowerCase()
        ? Effect.void
        : Effect.fail(
            new ArrError({
              target: transport.target.name,
              endpoint: "GET /system/status",
              reason: "wrong_app",
              detail: `the URL answers as ${status.appName}, but the target is configured as ${transport.target.type}`,
            }),
          ),
    ),
  ),
  queue: Effect.gen(function* () {
    const records: Array<S.QueueRecord> = []
    let total = 0
    for (let page = 1; page <= PAGE_LIMIT; page++) {
      const result = yield* transport.get("/queue", S.Paged(S.QueueRecord), {
        page,
        pageSize: QUEUE_PAGE_SIZE,
      })
      total = result.totalRecords
      records.push(...result.records)
      if (page * QUEUE_PAGE_SIZE >= result.totalRecords || result.records.length === 0) break
    }
    return { records, total }
  }).pipe(
    // Where the paged queue is missing (404), the unpaged `queue/details` says the same.
    Effect.catchAll((error) =>
      error.status === 404
        ? Effect.map(transport.get("/queue/details", Schema.Array(S.QueueRecord)), (records) => ({
            records,
            total: records.length,
          }))
        : Effect.fail(error),
    ),
    Effect.map(({ records, total }) => ({
      keys: new Set(records.flatMap((record) => queueKey(record) ?? [])),
      total,
    })),
  ),
  command: (id: number) => transport.get(`/command/${id}`, S.Command),
  tags: transport
    .get("/tag", S.Tags)
    .pipe(
      Effect.map(
        (tags) =>
          new Map(tags.flatMap((tag) => (tag.label ? [[tag.label.toLowerCase(), tag.id] as const] : []))),
      ),
    ),
})

const graceMillis = (transport: Transport) => Duration.toMillis(transport.target.releaseGrace)

const wantedParams = (page: number, pageSize: number, sortKey: string) => ({
  page,
  pageSize,
  sortKey,
  sortDirection: "ascending",
  monitored: true,
})

export const radarr = (transport: Transport): ArrApi => {
  const toCandidate = (movie: S.Movie): Candidate => ({
    key: `movie:${movie.id}`,
    movieId: movie.id,
    title: movie.year
      ? `${movie.title ?? `movie ${movie.id}`} (${movie.year})`
      : (movie.title ?? `movie ${movie.id}`),
    ...(movie.lastSearchTime ? { appLastSearch: movie.lastSearchTime } : {}),
    tags: movie.tags,
  })
  // Available, and released at least the grace period ago (by the dates Radarr judges availability on).
  const wantedMovie = (now: number) => (movie: S.Movie) => {
    if (!movie.monitored || movie.isAvailable === false) return false
    const home = [movie.digitalRelease, movie.physicalRelease, movie.releaseDate]
    const early = movie.minimumAvailability === "inCinemas" || movie.minimumAvailability === "announced"
    const dates = [...home, ...(early || home.every((d) => d === undefined) ? [movie.inCinemas] : [])]
      .filter((d): d is string => d !== undefined)
      .map(Date.parse)
      .filter((d) => d <= now)
    return dates.length === 0 || Math.min(...dates) + graceMillis(transport) <= now
  }
  // Radarr before 5.6 has no wanted endpoints: read the whole library once per run instead.
  let library: ReadonlyArray<S.Movie> | undefined
  const fallback = (mode: "missing" | "cutoff", error: ArrError, now: number) =>
    mode === "missing" && error.status === 404
      ? Effect.gen(function* () {
          library ??= yield* transport.get("/movie", Schema.Array(S.Movie), { excludeLocalCovers: true })
          // All of them at once: Search orders candidates by last search time itself.
          const missing = library.filter(
            (m) => wantedMovie(now)(m) && !m.hasFile && (m.movieFileId ?? 0) === 0,
          )
          return { candidates: missing.map(toCandidate), last: true }
        })
      : Effect.fail(error)
  return {
    ...common(transport, "Radarr", (r) => (r.movieId ? `movie:${r.movieId}` : undefined)),
    wanted: (mode, page, pageSize, now) =>
      transport
        .get(`/wanted/${mode}`, S.Paged(S.Movie), wantedParams(page, pageSize, "movies.lastSearchTime"))
        .pipe(
          Effect.map((result) => ({
            candidates: result.records.filter(wantedMovie(now)).map(toCandidate),
            last: page * pageSize >= result.totalRecords || result.records.length === 0,
          })),
          Effect.catchAll((error) => fallback(mode, error, now)),
        ),
    eligible: (c, tags) => Effect.succeed(tags(c.tags ?? [])),
    search: (c) => transport.post("/command", { name: "MoviesSearch", movieIds: [c.movieId] }, S.Command),
    grabs: (c, since) =>
      itemHistory(
        transport,
        ["/history/movie", { movieId: c.movieId! }],
        since,
        (r) => r.movieId === c.movieId,
      ),
    logFields: (c) => ({ movie_id: c.movieId! }),
  }
}

export const sonarr = (transport: Transport): ArrApi => {
  const series = new Map<number, S.Series | undefined>()
  return {
    ...common(transport, "Sonarr", (r) =>
      r.seriesId !== undefined && r.seasonNumber !== undefined
        ? `series:${r.seriesId}:season:${r.seasonNumber}`
        : undefined,
    ),
    wanted: (mode, page, pageSize, now) =>
      transport
        .get(`/wanted/${mode}`, S.Paged(S.Episode), wantedParams(page, pageSize, "episodes.lastSearchTime"))
        .pipe(
          Effect.map((result) => {
            // One season is one candidate however many of its episodes are wanted. Specials are
            // skipped unless asked for; an episode counts as aired only the grace period after its air date.
            const seasons = new Map<string, Candidate>()
            for (const episode of result.records) {
              if (episode.seasonNumber === 0 && !transport.target.includeSpecials) continue
              const aired =
                episode.airDateUtc !== undefined &&
                Date.parse(episode.airDateUtc) + graceMillis(transport) <= now
              if (mode === "missing" && !aired) continue
              const key = `series:${episode.seriesId}:season:${episode.seasonNumber}`
              const seen = seasons.get(key)
              const oldest =
                seen === undefined
                  ? episode.lastSearchTime
                  : older(seen.appLastSearch, episode.lastSearchTime)
              seasons.set(key, {
                key,
                seriesId: episode.seriesId,
                seasonNumber: episode.seasonNumber,
                title: `series ${episode.seriesId} season ${episode.seasonNumber}`,
                ...(oldest ? { appLastSearch: oldest } : {}),
              })
            }
            return {
              candidates: [...seasons.values()],
              last: page * pageSize >= result.totalRecords || result.records.length === 0,
            }
          }),
        ),
    eligible: (c, tags) =>
      Effect.gen(function* () {
        if (!series.has(c.seriesId!)) {
          // One series, or, where the app cannot answer for one (404), the whole list once.
          const one = yield* transport.get(`/series/${c.seriesId}`, S.Series).pipe(
            Effect.map((found) => [found]),
            Effect.catchAll((error) =>
              error.status === 404 ? transport.get("/series", Schema.Array(S.Series)) : Effect.fail(error),
            ),
          )
          for (const found of one) series.set(found.id, found)
          if (!series.has(c.seriesId!)) series.set(c.seriesId!, undefined)
        }
        const found = series.get(c.seriesId!)
        return (
          found?.monitored === true &&
          found.seasons.some((s) => s.seasonNumber === c.seasonNumber && s.monitored) &&
          tags(found.tags)
        )
      }),
    search: (c) =>
      transport.post(
        "/command",
        { name: "SeasonSearch", seriesId: c.seriesId, seasonNumber: c.seasonNumber },
        S.Command,
      ),
    grabs: (c, since) =>
      itemHistory(
        transport,
        ["/history/series", { seriesId: c.seriesId!, seasonNumber: c.seasonNumber! }],
        since,
        (r) => r.seriesId === c.seriesId && (r.episode?.seasonNumber ?? c.seasonNumber) === c.seasonNumber,
        { includeEpisode: true },
      ),
    logFields: (c) => ({ series_id: c.seriesId!, season_number: c.seasonNumber! }),
  }
}
