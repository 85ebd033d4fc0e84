/**
 * Schemas for the parts of the Radarr/Sonarr v3 API that Gatherarr reads. Only the fields it uses;
 * the apps omit null properties, so anything nullable is optional.
 */
import * as Schema from "effect/Schema"

export const SystemStatus = Schema.Struct({
  appName: Schema.String,
  version: Schema.String,
})

export const Paged = <A, I>(record: Schema.Schema<A, I>) =>
  Schema.Struct({
    page: Schema.Number,
    pageSize: Schema.Number,
    totalRecords: Schema.Number,
    records: Schema.optionalWith(Schema.Array(record), { default: () => [] }),
  })

export const Movie = Schema.Struct({
  id: Schema.Number,
  title: Schema.optional(Schema.String),
  year: Schema.optional(Schema.Number),
  monitored: Schema.Boolean,
  isAvailable: Schema.optional(Schema.Boolean),
  hasFile: Schema.optional(Schema.Boolean),
  movieFileId: Schema.optional(Schema.Number),
  lastSearchTime: Schema.optional(Schema.String),
  minimumAvailability: Schema.optional(Schema.String),
  inCinemas: Schema.optional(Schema.String),
  digitalRelease: Schema.optional(Schema.String),
  physicalRelease: Schema.optional(Schema.String),
  releaseDate: Schema.optional(Schema.String),
  tags: Schema.optionalWith(Schema.Array(Schema.Number), { default: () => [] }),
})
export type Movie = typeof Movie.Type

export const Episode = Schema.Struct({
  id: Schema.Number,
  seriesId: Schema.Number,
  seasonNumber: Schema.Number,
  episodeNumber: Schema.optional(Schema.Number),
  monitored: Schema.optional(Schema.Boolean),
  hasFile: Schema.optional(Schema.Boolean),
  airDateUtc: Schema.optional(Schema.String),
  lastSearchTime: Schema.optional(Schema.String),
})
export type Episode = typeof Episode.Type

export const Series = Schema.Struct({
  id: Schema.Number,
  title: Schema.optional(Schema.String),
  monitored: Schema.Boolean,
  tags: Schema.optionalWith(Schema.Array(Schema.Number), { default: () => [] }),
  seasons: Schema.optionalWith(
    Schema.Array(Schema.Struct({ seasonNumber: Schema.Number, monitored: Schema.Boolean })),
    { default: () => [] },
  ),
})
export type Series = typeof Series.Type

export const Command = Schema.Struct({
  id: Schema.Number,
  name: Schema.optional(Schema.String),
  status: Schema.String,
  message: Schema.optional(Schema.String),
  exception: Schema.optional(Schema.String),
})
export type Command = typeof Command.Type

export const HistoryRecord = Schema.Struct({
  id: Schema.Number,
  date: Schema.String,
  downloadId: Schema.optional(Schema.String),
  eventType: Schema.Union(Schema.String, Schema.Number),
  movieId: Schema.optional(Schema.Number),
  seriesId: Schema.optional(Schema.Number),
  episode: Schema.optional(Schema.Struct({ seasonNumber: Schema.Number })),
})
export const History = Schema.Array(HistoryRecord)

export const QueueRecord = Schema.Struct({
  movieId: Schema.optional(Schema.Number),
  seriesId: Schema.optional(Schema.Number),
  seasonNumber: Schema.optional(Schema.Number),
  episodeId: Schema.optional(Schema.Number),
})
export type QueueRecord = typeof QueueRecord.Type

export const Tag = Schema.Struct({ id: Schema.Number, label: Schema.String })
export const Tags = Schema.Array(Tag)
