/**
 * Radarr: candidates are movies, the one command is `MoviesSearch` for one movie.
 *
 * - 5.10.4 and later: `wanted/missing|cutoff` sorted by `movies.lastSearchTime`.
 * - 5.6 to 5.10.3: the same lists; the app has no last search time and sorts by title.
 * - Before 5.6 (4.x, 5.0 to 5.5), or any server answering the wanted lists with 404: the whole
 *   library (`/movie`) once per run; missing is monitored, available and without a file, cutoff
 *   is a file whose quality is below the profile's cutoff (`movieFile.qualityCutoffNotMet`).
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type { SearchMode } from "../Config.ts"
import {
  type AppContext,
  type ArrApi,
  type Candidate,
  checkStatus,
  grabs,
  indexerProblem,
  isLast,
  isMovieSearchOf,
  queue,
  sendCommand,
  shownId,
  tags,
  wantedPage,
} from "./ArrApi.ts"
import type { ArrError } from "./ArrError.ts"
import * as S from "./schema.ts"

const WANTED = "wanted"

/** Sort keys of the wanted lists, best first, by version. */
const sortKeys = (context: AppContext) =>
  context.profile.atLeast(5, 10, 4)
    ? ["movies.lastSearchTime", "movieMetadata.sortTitle"]
    : ["movieMetadata.sortTitle"]

export const radarr = (context: AppContext): ArrApi => {
  const { transport, profile } = context
  const grace = Duration.toMillis(transport.target.releaseGrace)

  const toCandidate = (movie: S.Movie): Candidate => {
    const title = movie.title ?? `movie ${movie.id}`
    return {
      key: `movie:${movie.id}`,
      movieId: movie.id,
      title: movie.year ? `${title} (${movie.year})` : title,
      ...(movie.lastSearchTime ? { appLastSearch: movie.lastSearchTime } : {}),
      tags: movie.tags,
    }
  }

  // Available, and released at least the grace period ago (by the dates Radarr judges availability on).
  const released = (now: number) => (movie: S.Movie) => {
    if (!movie.monitored || movie.isAvailable === false) return false
    const home = [movie.digitalRelease, movie.physicalRelease, movie.releaseDate]
    const early = movie.minimumAvailability === "inCinemas" || movie.minimumAvailability === "announced"
    const dates = [...home, ...(early || home.every((d) => d === undefined) ? [movie.inCinemas] : [])]
      .filter((d): d is string => d !== undefined)
      .map(Date.parse)
      .filter((d) => d <= now)
    return dates.length === 0 || Math.min(...dates) + grace <= now
  }

  const page = (records: ReadonlyArray<S.Movie>, now: number, last: boolean, total: number) => ({
    candidates: records.filter((m) => S.isId(m.id) && released(now)(m)).map(toCandidate),
    invalid: records.filter((m) => !S.isId(m.id)).map((m) => shownId(m.id)),
    last,
    total,
  })

  // The whole library, once per run (Search orders candidates by last search time itself).
  let library: Effect.Effect<ReadonlyArray<S.Movie>, ArrError> | undefined
  const fromLibrary = (mode: SearchMode, now: number) =>
    Effect.gen(function* () {
      library ??= yield* Effect.cached(
        transport.list("/movie", S.Movie, { params: { excludeLocalCovers: true } }),
      )
      const movies = yield* library
      const wanted =
        mode === "missing"
          ? (m: S.Movie) => !m.hasFile && (m.movieFileId ?? 0) === 0
          : (m: S.Movie) => m.movieFile?.qualityCutoffNotMet === true
      const listed = movies.filter((m) => !S.isId(m.id) || wanted(m))
      return page(listed, now, true, listed.filter((m) => m.monitored).length)
    })

  return {
    transport,
    checkStatus: checkStatus(context, "Radarr"),
    indexerProblem: indexerProblem(transport),
    wanted: (mode, pageNumber, pageSize, now) =>
      !profile.atLeast(5, 6) || profile.lacks.has(WANTED)
        ? fromLibrary(mode, now)
        : wantedPage(context, mode, pageNumber, pageSize, sortKeys(context), S.Movie).pipe(
            Effect.map((result) =>
              page(result.records, now, isLast(result, pageNumber, pageSize), result.totalRecords),
            ),
            Effect.catchIf(
              (error) => error.status === 404,
              () =>
                Effect.zipRight(
                  Effect.sync(() => profile.lacks.add(WANTED)),
                  fromLibrary(mode, now),
                ),
            ),
          ),
    eligible: (c, filter) => Effect.succeed(filter(c.tags ?? [])),
    tags: tags(transport),
    queue: queue(transport, {}, (r) => (S.isId(r.movieId) ? [`movie:${r.movieId}`] : [])),
    search: (c) =>
      sendCommand(context, { name: "MoviesSearch", movieIds: [c.movieId] }, isMovieSearchOf(c.movieId!)),
    command: (id) => transport.get(`/command/${id}`, S.Command),
    grabs: (c, since) =>
      grabs(context, ["/history/movie", { movieId: c.movieId! }], since, (r) => r.movieId === c.movieId),
    logFields: (c) => ({ movie_id: c.movieId! }),
    describe: (c) => c.title,
  }
}
