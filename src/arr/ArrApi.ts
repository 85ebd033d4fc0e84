/**
 * What Gatherarr asks of a Radarr or Sonarr, whichever it is (`ArrApi`), the transport both are
 * built on (`Transport`), and the pieces both apps share: the app's version and what was learned
 * of it, the wanted lists' sort keys, the download queue, history, the indexer health check, and
 * sending a search command at most once.
 */
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type * as Schema from "effect/Schema"
import type { SearchMode, TargetConfig } from "../Config.ts"
import { ArrError } from "./ArrError.ts"
import * as S from "./schema.ts"

export type Params = Record<string, string | number | boolean>

export interface RequestOptions {
  readonly params?: Params
  /** Which failures are worth another attempt (default: `ArrError.retryable`). */
  readonly retryIf?: (error: ArrError) => boolean
}

/** HTTP to one app: base URL and key, timeouts, bounded retries, bounded bodies, decoding. */
export interface Transport {
  readonly target: TargetConfig
  readonly get: <A, I>(
    path: string,
    schema: Schema.Schema<A, I>,
    options?: RequestOptions,
  ) => Effect.Effect<A, ArrError>
  /** A JSON array, decoded element by element. */
  readonly list: <A, I>(
    path: string,
    element: Schema.Schema<A, I>,
    options?: RequestOptions,
  ) => Effect.Effect<ReadonlyArray<A>, ArrError>
  /** A paged answer, its records decoded one by one. */
  readonly page: <A, I>(
    path: string,
    element: Schema.Schema<A, I>,
    options?: RequestOptions,
  ) => Effect.Effect<S.Page<A>, ArrError>
  /** Sent again only when a failure proves the app did not take it (`ArrError.safeToResend`). */
  readonly post: <A, I>(
    path: string,
    body: unknown,
    schema: Schema.Schema<A, I>,
  ) => Effect.Effect<A, ArrError>
}

/** How long search commands are followed, and how often asked about. */
export interface Timing {
  readonly pollInterval: Duration.Duration
  readonly commandTimeout: Duration.Duration
}

/**
 * What Gatherarr learned of one app, kept for the life of the process: its version, the sort keys
 * it takes, the endpoints it lacks. A new version starts over.
 */
export class Profile {
  version: ReadonlyArray<number> | undefined = undefined
  versionText: string | undefined = undefined
  readonly sortKeys = new Map<string, number>()
  readonly lacks = new Set<string>()

  /** Records the version `system/status` reports; what was learned of another version is dropped. */
  setVersion(text: string | undefined) {
    if (text === this.versionText) return
    this.versionText = text
    this.version = text === undefined ? undefined : parseVersion(text)
    this.sortKeys.clear()
    this.lacks.clear()
  }

  /** Whether the app is at least this version (an unknown version counts as the newest). */
  atLeast(...wanted: ReadonlyArray<number>): boolean {
    return this.version === undefined || compareVersions(this.version, wanted) >= 0
  }
}

/** `4.0.19.2900` as numbers; anything after the digits is ignored. */
export const parseVersion = (text: string): ReadonlyArray<number> | undefined => {
  const match = /^\s*v?(\d+(?:\.\d+)*)/.exec(text)
  return match ? match[1]!.split(".").map(Number) : undefined
}

export const compareVersions = (a: ReadonlyArray<number>, b: ReadonlyArray<number>): number => {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0)
    if (d !== 0) return d
  }
  return 0
}

export interface Candidate {
  /** `movie:<id>` or `series:<id>:season:<n>`: the item's key in the state file. */
  readonly key: string
  readonly movieId?: number
  readonly seriesId?: number
  readonly seasonNumber?: number
  /** Sonarr: the season's wanted episodes (to match queue records that name only an episode). */
  readonly episodeIds?: ReadonlyArray<number>
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
  /** Ids of records skipped because an id was not a positive whole number (as sent, shortened). */
  readonly invalid: ReadonlyArray<string>
  /** No further page. */
  readonly last: boolean
  /** How many records the whole list holds (its `totalRecords`; episodes for Sonarr). */
  readonly total: number
}

export interface Queue {
  /** Item keys (`movie:<id>`, `series:<id>:season:<n>`, or `episode:<id>`) of queued downloads. */
  readonly keys: ReadonlySet<string>
  readonly total: number
}

/** A search command the app took, and how Gatherarr knows: its answer, or its command list. */
export interface Sent {
  readonly command: S.Command
  readonly source: "answer" | "command_list"
}

export interface ArrApi {
  readonly transport: Transport
  /** Confirms the URL points at the configured kind of app, and learns its version (returned). */
  readonly checkStatus: Effect.Effect<string | undefined, ArrError>
  /** The app's own word when no indexer can search (its health check), else none. */
  readonly indexerProblem: Effect.Effect<string | undefined, ArrError>
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
  readonly queue: Effect.Effect<Queue, ArrError>
  /** Sends the item's one search command, at most once (see `sendCommand`). */
  readonly search: (candidate: Candidate) => Effect.Effect<Sent, ArrError>
  readonly command: (id: number) => Effect.Effect<S.Command, ArrError>
  /** Distinct downloads grabbed for the item since the given time. */
  readonly grabs: (candidate: Candidate, since: Date) => Effect.Effect<number, ArrError>
  /** Log fields naming the item. */
  readonly logFields: (candidate: Candidate) => Record<string, number>
  /** The item's title, as well as the app has named it so far (Sonarr: the series' title once read). */
  readonly describe: (candidate: Candidate) => string
}

/** What an app's API is built from. */
export interface AppContext {
  readonly transport: Transport
  readonly profile: Profile
  readonly timing: Timing
}

// ---------------------------------------------------------------------------
// Shared pieces

/** The older of two ISO times (compared as times); never searched (undefined) is oldest. */
export const older = (a: string | undefined, b: string | undefined) =>
  a === undefined || b === undefined ? undefined : Date.parse(b) < Date.parse(a) ? b : a

/** A record's id, shortened for a log line. */
export const shownId = (id: unknown) => String(id).slice(0, 40)

const fail = (transport: Transport, endpoint: string, reason: ArrError["reason"], detail: string) =>
  new ArrError({ target: transport.target.name, endpoint, reason, detail })

/** `system/status`: the app's name must match the target's type; its version is learned. */
export const checkStatus = (context: AppContext, appName: "Radarr" | "Sonarr") =>
  context.transport.get("/system/status", S.SystemStatus).pipe(
    Effect.flatMap((status) => {
      context.profile.setVersion(status.version)
      // A server that does not say which app it is gets the benefit of the doubt.
      return status.appName === undefined || status.appName.toLowerCase() === appName.toLowerCase()
        ? Effect.succeed(status.version?.slice(0, 40))
        : Effect.fail(
            fail(
              context.transport,
              "GET /system/status",
              "wrong_app",
              `the URL answers as ${status.appName.slice(0, 40)}, but the target is configured as ${context.transport.target.type}`,
            ),
          )
    }),
  )

/**
 * `health`: no search can succeed when every indexer is failing (IndexerStatusCheck, type error)
 * or none may run automatic searches (IndexerSearchCheck; its interactive-search warning does not
 * matter to Gatherarr). The check only ever holds searches back: a server without the endpoint, or
 * whose answer cannot be read, has nothing to say, and the run searches as it would have.
 */
export const indexerProblem = (transport: Transport) =>
  transport.list("/health", S.HealthEntry, { retryIf: () => false }).pipe(
    Effect.map((entries) => {
      const blocking = entries.find(
        (entry) =>
          (entry.source === "IndexerStatusCheck" && entry.type?.toLowerCase() === "error") ||
          (entry.source === "IndexerSearchCheck" &&
            !/interactive/i.test(`${entry.message} ${entry.wikiUrl}`)),
      )
      return blocking && (blocking.message ?? blocking.source ?? "").slice(0, 300)
    }),
    Effect.catchAll((error) =>
      Effect.as(
        Effect.logDebug("the app's health check cannot be read; searching as usual").pipe(
          Effect.annotateLogs({ reason: error.reason, detail: error.detail }),
        ),
        undefined,
      ),
    ),
  )

/** Whether the app refused a wanted list's sort key: a 400 or 500 naming the sort or the key. */
const refusesSortKey = (error: ArrError, sortKey: string) => {
  if (error.status !== 400 && error.status !== 500) return false
  const text = (error.appMessage ?? "").toLowerCase()
  return (
    text.includes("sort") ||
    sortKey
      .toLowerCase()
      .split(".")
      .some((part) => text.includes(part))
  )
}

/**
 * One page of `/wanted/<mode>`, sorted by the first of `sortKeys` the app takes. A key the app
 * refuses is not retried: the next is tried at once and kept for the life of the process.
 */
export const wantedPage = <A, I>(
  context: AppContext,
  mode: SearchMode,
  page: number,
  pageSize: number,
  sortKeys: ReadonlyArray<string>,
  element: Schema.Schema<A, I>,
): Effect.Effect<S.Page<A>, ArrError> => {
  const memo = `wanted/${mode}`
  const index = context.profile.sortKeys.get(memo) ?? 0
  const sortKey = sortKeys[Math.min(index, sortKeys.length - 1)]!
  return context.transport
    .page(`/wanted/${mode}`, element, {
      params: { page, pageSize, sortKey, sortDirection: "ascending", monitored: true },
      retryIf: (error) => error.retryable && !refusesSortKey(error, sortKey),
    })
    .pipe(
      Effect.catchIf(
        (error) => index < sortKeys.length - 1 && refusesSortKey(error, sortKey),
        () =>
          Effect.zipRight(
            Effect.logDebug("the app refused a sort key; using the next from now on").pipe(
              Effect.annotateLogs({
                endpoint: `GET /wanted/${mode}`,
                refused: sortKey,
                next: sortKeys[index + 1],
              }),
            ),
            Effect.suspend(() => {
              context.profile.sortKeys.set(memo, index + 1)
              return wantedPage(context, mode, page, pageSize, sortKeys, element)
            }),
          ),
      ),
    )
}

/** Whether the page was the list's last. */
export const isLast = (result: S.Page<unknown>, page: number, pageSize: number) =>
  result.records.length === 0 ||
  (result.totalRecords === undefined
    ? result.records.length < pageSize
    : page * pageSize >= result.totalRecords)

const PAGE_LIMIT = 20
const QUEUE_PAGE_SIZE = 500

/**
 * The download queue, paged, or, where the paged queue is missing (404), `queue/details`.
 * `keysOf` names the items each record holds.
 */
export const queue = (
  transport: Transport,
  params: Params,
  keysOf: (record: S.QueueRecord) => ReadonlyArray<string>,
): Effect.Effect<Queue, ArrError> =>
  Effect.gen(function* () {
    const records: Array<S.QueueRecord> = []
    let total = 0
    for (let page = 1; page <= PAGE_LIMIT; page++) {
      const result = yield* transport.page("/queue", S.QueueRecord, {
        params: { page, pageSize: QUEUE_PAGE_SIZE, ...params },
      })
      total = result.totalRecords
      records.push(...result.records)
      if (isLast(result, page, QUEUE_PAGE_SIZE)) break
    }
    return { records, total }
  }).pipe(
    Effect.catchIf(
      (error) => error.status === 404,
      () =>
        Effect.map(transport.list("/queue/details", S.QueueRecord, { params }), (records) => ({
          records,
          total: records.length,
        })),
    ),
    Effect.map(({ records, total }) => ({ keys: new Set(records.flatMap(keysOf)), total })),
  )

/** The app's tags, label (lower case) to id; labels are values of a Map, never object keys. */
export const tags = (transport: Transport) =>
  transport
    .list("/tag", S.Tag)
    .pipe(
      Effect.map(
        (list) =>
          new Map(
            list.flatMap((tag) =>
              tag.label && S.isId(tag.id) ? [[tag.label.toLowerCase(), tag.id] as const] : [],
            ),
          ),
      ),
    )

/**
 * Grabbed history records: `eventType=1`, which every app version takes (API-NOTES §6.2), or, from
 * a server that holds to the specs' string enum and refuses the number (400), `eventType=grabbed`.
 */
const grabbed = (transport: Transport, path: string, params: Params) =>
  transport.list(path, S.HistoryRecord, { params: { ...params, eventType: 1 } }).pipe(
    Effect.catchIf(
      (error) => error.status === 400,
      () => transport.list(path, S.HistoryRecord, { params: { ...params, eventType: "grabbed" } }),
    ),
  )

/** Whole seconds, one second early: history dates have second precision. */
const historyFrom = (since: Date) => Math.floor(since.getTime() / 1000) * 1000 - 1000

/**
 * Distinct downloads grabbed for one item since a time: from the item's own history endpoint, or,
 * where the app has none (404), from `history/since`. Only records `belongs` accepts count: a
 * record of another item is never a grab of this one.
 */
export const grabs = (
  context: AppContext,
  byItem: readonly [path: string, params: Params],
  since: Date,
  belongs: (record: S.HistoryRecord) => boolean,
  extra: Params = {},
) => {
  const from = historyFrom(since)
  const viaSince = grabbed(context.transport, "/history/since", {
    date: new Date(from).toISOString().replace(".000Z", "Z"),
    ...extra,
  })
  const records = context.profile.lacks.has(byItem[0])
    ? viaSince
    : grabbed(context.transport, ...byItem).pipe(
        Effect.catchIf(
          (error) => error.status === 404,
          () =>
            Effect.zipRight(
              Effect.sync(() => context.profile.lacks.add(byItem[0])),
              viaSince,
            ),
        ),
      )
  return Effect.map(
    records,
    (list) =>
      new Set(
        list
          .filter(
            (r) =>
              (r.eventType === "grabbed" || r.eventType === 1) && Date.parse(r.date) >= from && belongs(r),
          )
          .map((r) => r.downloadId ?? `history:${r.id}`),
      ).size,
  )
}

/** A command still waiting or running: an identical POST would have been merged into it. */
const LIVE = new Set(["queued", "started"])
/** How far before Gatherarr's clock the app's `queued` time may be and still be this POST's. */
const CLOCK_SLACK_MS = 60_000

/**
 * POSTs a search command, at most once per decision. The transport re-sends it only when a failure
 * proves the app did not take it; after any other failure (a lost answer: a timeout, a reset, a
 * proxy's 5xx) the command is looked up in the app's own list (`GET /command`: same name and body,
 * queued since the POST or still live) until it appears or the command timeout passes.
 */
export const sendCommand = (
  context: AppContext,
  body: { readonly name: string } & Record<string, unknown>,
  matches: (command: S.Command) => boolean,
): Effect.Effect<Sent, ArrError> =>
  Effect.gen(function* () {
    const sentAt = yield* Clock.currentTimeMillis
    const answer = yield* Effect.either(context.transport.post("/command", body, S.Command))
    if (answer._tag === "Right" && S.isId(answer.right.id))
      return { command: answer.right, source: "answer" } as const
    if (answer._tag === "Left" && answer.left.safeToResend) return yield* answer.left
    const lost = answer._tag === "Left" ? answer.left.detail : "the answer carries no usable command id"
    yield* Effect.logDebug(
      "the answer to a search command was lost; looking for it in the app's command list",
    ).pipe(Effect.annotateLogs({ cause: lost }))
    const same = (command: S.Command) =>
      S.isId(command.id) &&
      command.name?.toLowerCase() === body.name.toLowerCase() &&
      matches(command) &&
      (LIVE.has(command.status) || Date.parse(command.queued ?? "") >= sentAt - CLOCK_SLACK_MS)
    const look = context.transport.list("/command", S.Command).pipe(
      Effect.map((commands) => commands.find(same)),
      Effect.orElseSucceed(() => undefined),
    )
    const poll: Effect.Effect<S.Command> = Effect.flatMap(look, (command) =>
      command ? Effect.succeed(command) : Effect.zipRight(Effect.sleep(context.timing.pollInterval), poll),
    )
    const found = yield* Effect.timeoutOption(
      Effect.suspend(() => poll),
      context.timing.commandTimeout,
    )
    if (Option.isSome(found)) return { command: found.value, source: "command_list" } as const
    return yield* new ArrError({
      target: context.transport.target.name,
      endpoint: "POST /command",
      reason: "answer_lost",
      detail: `the answer was lost (${lost}) and the command did not appear in the app's command list within ${Duration.format(context.timing.commandTimeout)}`,
    })
  })

/** Command states after which nothing changes. */
export const TERMINAL: ReadonlySet<string> = new Set([
  "completed",
  "failed",
  "orphaned",
  "aborted",
  "cancelled",
])

/** Polls a command until it ends or the command timeout passes (none: it did not end). */
export const followCommand = (
  api: Pick<ArrApi, "command">,
  command: S.Command,
  timing: Timing,
): Effect.Effect<Option.Option<S.Command>, ArrError> => {
  const poll: Effect.Effect<S.Command, ArrError> = Effect.flatMap(api.command(command.id), (latest) =>
    TERMINAL.has(latest.status)
      ? Effect.succeed(latest)
      : Effect.zipRight(Effect.sleep(timing.pollInterval), poll),
  )
  return TERMINAL.has(command.status)
    ? Effect.succeed(Option.some(command))
    : Effect.timeoutOption(poll, timing.commandTimeout)
}

/** Whether a command's `movieIds` is exactly this one movie. */
export const isMovieSearchOf = (movieId: number) => (command: S.Command) => {
  const ids = command.body?.movieIds
  return ids !== undefined && ids.length > 0 && ids.every((id) => id === movieId)
}

/** Whether a command is the search of this season. */
export const isSeasonSearchOf = (seriesId: number, seasonNumber: number) => (command: S.Command) =>
  command.body?.seriesId === seriesId && command.body?.seasonNumber === seasonNumber
