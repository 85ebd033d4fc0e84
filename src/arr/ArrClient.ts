/**
 * The HTTP transport to one Radarr or Sonarr: base URL and key, a timeout per attempt, bounded
 * retries of what is retryable (network, timeout, 5xx, 429, honouring Retry-After; a POST only when
 * the app cannot have taken it), a capped body, Schema decoding that never holds the event loop,
 * messages that carry the app's own word, and per-request metrics. `forTarget` returns the app's
 * API for one run of a target.
 */
import * as HttpClient from "@effect/platform/HttpClient"
import type * as HttpClientError from "@effect/platform/HttpClientError"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Metric from "effect/Metric"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Schedule from "effect/Schedule"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import { GatherarrConfig, type TargetConfig } from "../Config.ts"
import { formatIssue } from "../DecodeIssue.ts"
import { GatherarrMetrics } from "../Metrics.ts"
import { VERSION } from "../version.ts"
import { type ArrApi, Profile, type RequestOptions, type Transport } from "./ArrApi.ts"
import { ArrError, type ArrErrorReason } from "./ArrError.ts"
import { radarr } from "./Radarr.ts"
import { sonarr } from "./Sonarr.ts"
import * as S from "./schema.ts"

/** Seconds or an HTTP date, as a delay from now. */
export const parseRetryAfter = (value: string | undefined, now: number): Duration.Duration | undefined => {
  if (value === undefined) return undefined
  if (/^\s*\d+\s*$/.test(value)) return Duration.seconds(Number(value))
  const date = Date.parse(value)
  return Number.isNaN(date) ? undefined : Duration.millis(Math.max(0, date - now))
}

/**
 * Jittered exponential backoff from the base delay, capped at the max delay, at most
 * `retryAttempts` retries; a Retry-After the app sent replaces the backoff (still capped).
 */
export const retrySchedule = (config: {
  readonly retryAttempts: number
  readonly retryBaseDelay: Duration.Duration
  readonly retryMaxDelay: Duration.Duration
}) =>
  Schedule.exponential(config.retryBaseDelay).pipe(
    Schedule.jittered,
    Schedule.zipRight(Schedule.identity<ArrError>()),
    Schedule.modifyDelay((error, delay) =>
      Duration.min(
        Option.getOrElse(Option.fromNullable(error.retryAfter), () => delay),
        config.retryMaxDelay,
      ),
    ),
    Schedule.intersect(Schedule.recurs(config.retryAttempts)),
  )

/** The most of an error answer read for its message. */
const ERROR_BODY_BYTES = 64 * 1024
/** Records decoded between two turns of the event loop. */
const BATCH = 500
/** Connection failures that happen before a request is written: the app never saw it. */
const UNSENT = new Set([
  "ECONNREFUSED",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EADDRNOTAVAIL",
])

/** One turn of Node's event loop (timers, sockets: `/health`) before going on. */
const yieldToEventLoop = Effect.async<void>((resume) => {
  const handle = setImmediate(() => resume(Effect.void))
  return Effect.sync(() => clearImmediate(handle))
})

/** The error code of a transport failure, from fetch's nested cause or node:http's own. */
const errorCode = (error: HttpClientError.HttpClientError): string | undefined => {
  const cause = error.cause as { code?: unknown; cause?: { code?: unknown }; message?: unknown } | undefined
  const code = cause?.code ?? cause?.cause?.code
  return typeof code === "string" ? code : undefined
}

/**
 * A part of an error answer's text fit for a log line: the app's `message` (or `errorMessage`, or
 * the first validation failure's), one line, control characters removed, queries of URLs dropped,
 * the key never included, at most 200 characters.
 */
export const appMessageOf = (text: string, key: string): string | undefined => {
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    return undefined
  }
  const field = (value: unknown) => {
    if (typeof value !== "object" || value === null) return undefined
    const record = value as { message?: unknown; errorMessage?: unknown; title?: unknown }
    const found = [record.message, record.errorMessage, record.title].find((v) => typeof v === "string")
    return found as string | undefined
  }
  const raw = Array.isArray(json) ? field(json[0]) : field(json)
  if (raw === undefined) return undefined
  const cleaned = raw
    .split(key)
    .join("<redacted>")
    .replace(/\p{Cc}+/gu, " ")
    .replace(/(\bhttps?:\/\/[^\s?#]*)[?#]\S*/gi, "$1")
    .replace(/\bapi_?key=\S+/gi, "apikey=<redacted>")
    .replace(/\s+/g, " ")
    .trim()
  return cleaned === "" ? undefined : cleaned.length > 200 ? `${cleaned.slice(0, 200)}…` : cleaned
}

/** Where a redirect points, as scheme, host and path only. */
const redirectTarget = (location: string | undefined, from: string) => {
  if (location === undefined) return "nowhere (no Location header)"
  try {
    const url = new URL(location, from)
    return `${url.protocol}//${url.host}${url.pathname}`
  } catch {
    return "an address that is not a URL"
  }
}

export class ArrClient extends Effect.Service<ArrClient>()("gatherarr/ArrClient", {
  effect: Effect.gen(function* () {
    const config = yield* GatherarrConfig
    const http = yield* HttpClient.HttpClient
    const allMetrics = yield* GatherarrMetrics
    const profiles = new Map<string, Profile>()

    const transport = (target: TargetConfig): Transport => {
      const metrics = allMetrics.forTarget(target)
      const key = Redacted.value(target.apiKey)
      const agent = `gatherarr/${VERSION}`
      const base = `${target.url}/api/v3`
      const client = http.pipe(
        HttpClient.mapRequest((request) =>
          request.pipe(
            HttpClientRequest.prependUrl(base),
            HttpClientRequest.acceptJson,
            HttpClientRequest.setHeader("X-Api-Key", key),
            HttpClientRequest.setHeader("User-Agent", agent),
            // Radarr and Sonarr v4 take a command's `clientUserAgent` (shown in System → Tasks) from
            // a header literally named `UserAgent` (CommandController), v3 from `User-Agent`.
            HttpClientRequest.setHeader("UserAgent", agent),
          ),
        ),
        // Tracing headers (b3, traceparent) only when a host asks for them.
        HttpClient.withTracerPropagation(config.tracePropagation === true),
      )

      const call = <A>(
        request: HttpClientRequest.HttpClientRequest,
        endpoint: string,
        decode: (json: unknown, fail: Fail) => Effect.Effect<A, ArrError>,
        retryIf: (error: ArrError) => boolean,
      ) => {
        const fail: Fail = (reason, detail, extra = {}) =>
          new ArrError({ target: target.name, endpoint, reason, detail, ...extra })

        const attempt = Effect.gen(function* () {
          const response = yield* client.execute(request).pipe(
            Effect.mapError((error: HttpClientError.HttpClientError) => {
              const code = errorCode(error)
              const cause = code ?? (error.cause as { message?: string } | undefined)?.message?.split("\n")[0]
              return fail("transport", `request failed (${error.reason}): ${cause ?? "connection failed"}`, {
                unsent: code !== undefined && UNSENT.has(code),
              })
            }),
          )
          if (response.status < 200 || response.status >= 300) return yield* failure(response, fail)
          // The apps say application/json; a reverse proxy's login page says text/html. A server that
          // says nothing or something vaguer (text/plain) is judged by its body.
          const contentType = response.headers["content-type"] ?? ""
          if (contentType.includes("html")) {
            return yield* fail(
              "decode",
              `expected JSON but got ${contentType.slice(0, 60)} (a reverse proxy login page?)`,
            )
          }
          const text = yield* readBody(response, config.maxBodyBytes, fail)
          const json = yield* Effect.try({
            try: () => JSON.parse(text) as unknown,
            catch: () =>
              fail(
                "decode",
                `the body is not valid JSON (${contentType.slice(0, 60) || "no content type"}, ${text.length} bytes, truncated?)`,
              ),
          })
          return yield* decode(json, fail)
        }).pipe(
          Effect.timeoutFail({
            duration: config.requestTimeout,
            onTimeout: () => fail("timeout", `no answer within ${Duration.format(config.requestTimeout)}`),
          }),
          Metric.trackDurationWith(metrics.requestDuration, Duration.toSeconds),
          Effect.tap(() => Metric.increment(metrics.requests)),
          Effect.tapError(() =>
            Effect.zipRight(Metric.increment(metrics.requests), Metric.increment(metrics.requestErrors)),
          ),
          Effect.tapError((error) =>
            Effect.logDebug("request to the app failed").pipe(
              Effect.annotateLogs({ endpoint, reason: error.reason, detail: error.detail }),
            ),
          ),
        )
        return attempt.pipe(Effect.retry({ schedule: retrySchedule(config), while: retryIf }))
      }

      /** A non-2xx answer, as an error that says what the app said, or where a redirect points. */
      const failure = (response: HttpClientResponse.HttpClientResponse, fail: Fail) =>
        Effect.gen(function* () {
          const status = response.status
          if (status >= 300 && status < 400) {
            return yield* fail(
              "redirect",
              `redirected (${status}) to ${redirectTarget(response.headers.location, base)} (a reverse proxy's login, or a wrong URL base?)`,
              { status },
            )
          }
          const text = yield* readBody(response, ERROR_BODY_BYTES, fail).pipe(Effect.orElseSucceed(() => ""))
          const appMessage = appMessageOf(text, key)
          const said = appMessage ? `: ${appMessage}` : ""
          if (status === 401) {
            return yield* fail("unauthorized", `the API key was rejected (401 Unauthorized)${said}`, {
              status,
            })
          }
          const retryAfter = parseRetryAfter(response.headers["retry-after"], Date.now())
          return yield* fail("status", `unexpected status ${status}${said}`, {
            status,
            ...(retryAfter ? { retryAfter } : {}),
            ...(appMessage ? { appMessage } : {}),
          })
        })

      const url = (path: string, options?: RequestOptions) =>
        options?.params === undefined
          ? path
          : `${path}?${new URLSearchParams(Object.entries(options.params).map(([k, v]): [string, string] => [k, String(v)])).toString()}`

      const get = <A>(path: string, decode: Decode<A>, options?: RequestOptions) =>
        call(HttpClientRequest.get(url(path, options)), `GET ${path}`, decode, options?.retryIf ?? retryable)

      return {
        target,
        get: (path, schema, options) => get(path, (json, fail) => decodeWith(schema, json, fail), options),
        list: (path, element, options) =>
          get(
            path,
            (json, fail) =>
              Effect.flatMap(decodeWith(Schema.Array(Schema.Unknown), json, fail), (items) =>
                decodeEach(element, items, "", fail),
              ),
            options,
          ),
        page: (path, element, options) =>
          get(
            path,
            (json, fail) =>
              Effect.flatMap(decodeWith(S.PagedEnvelope, json, fail), (envelope) =>
                Effect.map(decodeEach(element, envelope.records, "records", fail), (records) => ({
                  totalRecords: envelope.totalRecords,
                  records,
                })),
              ),
            options,
          ),
        post: (path, body, schema) =>
          call(
            HttpClientRequest.post(path).pipe(HttpClientRequest.bodyUnsafeJson(body)),
            `POST ${path}`,
            (json, fail) => decodeWith(schema, json, fail),
            (error) => error.safeToResend,
          ),
      } satisfies Transport
    }

    const profileOf = (target: TargetConfig) => {
      let profile = profiles.get(target.name)
      if (!profile) {
        profile = new Profile()
        profiles.set(target.name, profile)
      }
      return profile
    }

    return {
      /** The app's API for one run of a target; what is learned of the app outlives the run. */
      forTarget: (target: TargetConfig): ArrApi => {
        const context = {
          transport: transport(target),
          profile: profileOf(target),
          timing: { pollInterval: config.commandPollInterval, commandTimeout: config.commandTimeout },
        }
        return target.type === "radarr" ? radarr(context) : sonarr(context)
      },
    }
  }),
}) {}

type Fail = (
  reason: ArrErrorReason,
  detail: string,
  extra?: { status?: number; retryAfter?: Duration.Duration; appMessage?: string; unsent?: boolean },
) => ArrError
type Decode<A> = (json: unknown, fail: Fail) => Effect.Effect<A, ArrError>

const retryable = (error: ArrError) => error.retryable

const shapeError = (fail: Fail, issue: string) => fail("decode", `unexpected response shape: ${issue}`)

const decodeWith = <A, I>(schema: Schema.Schema<A, I>, json: unknown, fail: Fail) =>
  Either.match(Schema.decodeUnknownEither(schema)(json), {
    onLeft: (error) => Effect.fail(shapeError(fail, formatIssue(error.issue))),
    onRight: Effect.succeed,
  })

/** Decodes the items one by one, a batch at a time, letting the event loop run in between. */
const decodeEach = <A, I>(
  element: Schema.Schema<A, I>,
  items: ReadonlyArray<unknown>,
  at: string,
  fail: Fail,
) =>
  Effect.gen(function* () {
    const decode = Schema.decodeUnknownEither(element)
    const out: Array<A> = []
    for (let i = 0; i < items.length; i++) {
      if (i > 0 && i % BATCH === 0) yield* yieldToEventLoop
      const decoded = decode(items[i])
      if (Either.isLeft(decoded))
        return yield* shapeError(fail, `${at}[${i}]${prefixed(formatIssue(decoded.left.issue))}`)
      out.push(decoded.right)
    }
    return out
  })

/** An element's issue path joined to the element's own (`the value: …` is the element itself). */
const prefixed = (issue: string) =>
  issue.startsWith("the value: ")
    ? `: ${issue.slice("the value: ".length)}`
    : issue.startsWith("[")
      ? issue
      : `.${issue}`

/** Reads the body as text, at most `limit` bytes. */
const readBody = (
  response: HttpClientResponse.HttpClientResponse,
  limit: number,
  fail: Fail,
): Effect.Effect<string, ArrError> => {
  const declared = Number(response.headers["content-length"] ?? Number.NaN)
  if (declared > limit) {
    return Effect.fail(fail("too_large", `the response body (${declared} bytes) exceeds ${limit} bytes`))
  }
  return response.stream.pipe(
    Stream.mapError(() => fail("transport", "connection lost while reading the response")),
    Stream.runFoldEffect({ size: 0, chunks: [] as Array<Uint8Array> }, (acc, chunk) => {
      acc.size += chunk.length
      acc.chunks.push(chunk)
      return acc.size > limit
        ? Effect.fail(fail("too_large", `the response body exceeds ${limit} bytes`))
        : Effect.succeed(acc)
    }),
    Effect.map(({ chunks }) => Buffer.concat(chunks).toString("utf8")),
  )
}
