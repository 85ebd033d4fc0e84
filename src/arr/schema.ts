/**
 * Schemas for the parts of the Radarr/Sonarr v3 API that Gatherarr reads. Only the fields it uses.
 * The apps omit null properties, but the OpenAPI specs declare them nullable and other servers of
 * the same API (proxies, mocks, forks) send `null`: every optional field takes absent and null alike.
 */
import * as Schema from "effect/Schema"

const maybe = <A, I>(schema: Schema.Schema<A, I>) => Schema.optionalWith(schema, { nullable: true })
const list = <A, I>(schema: Schema.Schema<A, I>) =>
  Schema.optionalWith(Schema.Array(schema), { nullable: true, default: () => [] })

export const SystemStatus = Schema.Struct({
  appName: maybe(Schema.String),
  version: maybe(Schema.String),
})

/**
 * A paged answer's envelope; its records are decoded one by one afterwards (ArrClient), so a huge
 * page never holds the event loop.
 */
export const PagedEnvelope = Schema.Struct({
  totalRecords: Schema.Number,
  records: list(Schema.Unknown),
})
export interface Page<A> {
  readonly totalRecords: number
  readonly records: ReadonlyArray<A>
}

/** One entry of the app's health check (`GET /health`). */
export const HealthEntry = Schema.Struct({
  source: maybe(Schema.String),
  type: maybe(Schema.String),
  message: maybe(Schema.String),
  wikiUrl: maybe(Schema.String),
})

export const Movie = Schema.Struct({
  id: Schema.Number,
  title: maybe(Schema.String),
  year: maybe(Schema.Number),
  monitored: Schema.Boolean,
  isAvailable: maybe(Schema.Boolean),
  hasFile: maybe(Schema.Boolean),
  movieFileId: maybe(Schema.Number),
  lastSearchTime: maybe(Schema.String),
  minimumAvailability: maybe(Schema.String),
  inCinemas: maybe(Schema.String),
  digitalRelease: maybe(Schema.String),
  physicalRelease: maybe(Schema.String),
  releaseDate: maybe(Schema.String),
  tags: list(Schema.Number),
  /** Present when the movie has a file (the whole-library answer of Radarr before 5.6). */
  movieFile: maybe(Schema.Struct({ qualityCutoffNotMet: maybe(Schema.Boolean) })),
})
export type Movie = typeof Movie.Type

export const Episode = Schema.Struct({
  id: Schema.Number,
  seriesId: Schema.Number,
  seasonNumber: Schema.Number,
  episodeNumber: maybe(Schema.Number),
  monitored: maybe(Schema.Boolean),
  hasFile: maybe(Schema.Boolean),
  airDateUtc: maybe(Schema.String),
  lastSearchTime: maybe(Schema.String),
})
export type Episode = typeof Episode.Type

export const Series = Schema.Struct({
  id: Schema.Number,
  title: maybe(Schema.String),
  monitored: Schema.Boolean,
  tags: list(Schema.Number),
  seasons: list(Schema.Struct({ seasonNumber: Schema.Number, monitored: Schema.Boolean })),
})
export type Series = typeof Series.Type

export const Command = Schema.Struct({
  id: Schema.Number,
  name: maybe(Schema.String),
  status: Schema.String,
  message: maybe(Schema.String),
  exception: maybe(Schema.String),
  /** When the app queued it (the app's clock). */
  queued: maybe(Schema.String),
  /** The command's own fields: `movieIds`, or `seriesId` and `seasonNumber`. */
  body: maybe(
    Schema.Struct({
      movieIds: maybe(Schema.Array(Schema.Unknown)),
      seriesId: maybe(Schema.Unknown),
      seasonNumber: maybe(Schema.Unknown),
    }),
  ),
})
export type Command = typeof Command.Type

export const HistoryRecord = Schema.Struct({
  id: Schema.Number,
  date: Schema.String,
  downloadId: maybe(Schema.String),
  eventType: Schema.Union(Schema.String, Schema.Number),
  movieId: maybe(Schema.Number),
  seriesId: maybe(Schema.Number),
  episodeId: maybe(Schema.Number),
  episode: maybe(Schema.Struct({ seasonNumber: Schema.Number })),
})
export type HistoryRecord = typeof HistoryRecord.Type

export const QueueRecord = Schema.Struct({
  movieId: maybe(Schema.Number),
  seriesId: maybe(Schema.Number),
  /** Absent in Sonarr v3, whose records carry `episode` when asked (`includeEpisode=true`). */
  seasonNumber: maybe(Schema.Number),
  episodeId: maybe(Schema.Number),
  episode: maybe(Schema.Struct({ seasonNumber: Schema.Number })),
})
export type QueueRecord = typeof QueueRecord.Type

export const Tag = Schema.Struct({ id: Schema.Number, label: maybe(Schema.String) })
export type Tag = typeof Tag.Type

/** Ids are positive safe integers; a record with any other id is skipped. */
export const isId = (value: unknown): value is number =>
  typeof value === "number" && Number.isSafeInteger(value) && value > 0
/** Season numbers are safe integers from 0 (specials). */
export const isSeason = (value: unknown): value is number =>
  typeof value === "number" && Number.isSafeInteger(value) && value >= 0
