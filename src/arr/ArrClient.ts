/**
 * The HTTP transport to one Radarr or Sonarr: base URL and key, a timeout per attempt, bounded
 * retries of what is retryable (network, timeout, 5xx, 429, honouring Retry-After), a capped body,
 * Schema decoding, and per-request metrics. `forTarget` returns the app's API for that target.
 */
import * as HttpClient from "@effect/platform/HttpClient"
import type * as HttpClientError from "@effect/platform/HttpClientError"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as Data from "effect/Data"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Metric from "effect/Metric"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Schedule from "effect/Schedule"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import { GatherarrConfig, type TargetConfig } from "../Config.ts"
import { GatherarrMetrics } from "../Metrics.ts"
import { type ArrApi, radarr, sonarr } from "./apps.ts"

export type ArrErrorReason =
  | "transport"
  | "timeout"
  | "status"
  | "unauthorized"
  | "decode"
  | "too_large"
  | "wrong_app"
  | "unknown_tag"

/** A failed call to an app. The message names the target and endpoint, never the key. */
export class ArrError extends Data.TaggedError("ArrError")<{
  readonly target: string
  readonly endpoint: string
  readonly reason: ArrErrorReason
  readonly detail: string
  readonly status?: number
  readonly retryAfter?: Duration.Duration
}> {
  override get message() {
    return `${this.target}: ${this.endpoint}: ${this.detail}`
  }
  get retryable(): boolean {
    return (
      this.reason === "transport" ||
      this.reason === "timeout" ||
      (this.reason === "status" && (this.status === 429 || (this.status ?? 0) >= 500))
    )
  }
}

export interface Transport {
  readonly target: TargetConfig
  readonly get: <A, I>(
    path: string,
    schema: Schema.Schema<A, I>,
    params?: Record<string, string | number | boolean>,
  ) => Effect.Effect<A, ArrError>
  readonly post: <A, I>(
    path: string,
    body: unknown,
    schema: Schema.Schema<A, I>,
  ) => Effect.Effect<A, ArrError>
}

/** Seconds or an HTTP date, as a delay from now. */
export const parseRetryAfter = (value: string | undefined, now: number): Duration.Duration | undefined => {
  if (value === undefined) return undefined
  if (/^\s*\d+\s*$/.test(value)) return Duration.seconds(Number(value))
  const date = Date.parse(value)
  return Number.isNaN(date) ? undefined : Duration.millis(Math.max(0, date - now))
}

/** Reads the body as text, at most `limit` bytes. */
const readBody = (
  response: HttpClientResponse.HttpClientResponse,
  limit: number,
  fail: (reason: ArrErrorReason, detail: string) => ArrError,
) => {
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

export class ArrClient extends Effect.Service<ArrClient>()("gatherarr/ArrClient", {
  effect: Effect.gen(function* () {
    const config = yield* GatherarrConfig
    const http = yield* HttpClient.HttpClient
    const allMetrics = yield* GatherarrMetrics

    const transport = (target: TargetConfig): Transport => {
      const metrics = allMetrics.forTarget(target)
      const client = http.pipe(
        HttpClient.mapRequest((request) =>
          request.pipe(
            HttpClientRequest.prependUrl(`${target.url}/api/v3`),
            HttpClientRequest.acceptJson,
            HttpClientRequest.setHeader("X-Api-Key", Redacted.value(target.apiKey)),
            HttpClientRequest.setHeader("UserAgent", "gatherarr"),
          ),
        ),
      )

      const call = <A, I>(
        request: HttpClientRequest.HttpClientRequest,
        endpoint: string,
        schema: Schema.Schema<A, I>,
      ) => {
        const fail = (
          reason: ArrErrorReason,
          detail: string,
          extra: { status?: number; retryAfter?: Duration.Duration } = {},
        ) => new ArrError({ target: target.name, endpoint, reason, detail, ...extra })
        const decode = Schema.decodeUnknown(schema)

        const attempt = Effect.gen(function* () {
          const response = yield* client
            .execute(request)
            .pipe(
              Effect.mapError((error: HttpClientError.HttpClientError) =>
                fail("transport", `request failed (${error.reason}): ${transportCause(error)}`),
              ),
            )
          if (response.status === 401) {
            return yield* fail("unauthorized", "the API key was rejected (401 Unauthorized)", { status: 401 })
          }
          if (response.status < 200 || response.status >= 300) {
            const retryAfter = parseRetryAfter(response.headers["retry-after"], Date.now())
            return yield* fail("status", `unexpected status ${response.status}`, {
              status: response.status,
              ...(retryAfter ? { retryAfter } : {}),
            })
          }
          // The apps say application/json; a reverse proxy's login page says text/html. A server that
          // says nothing or something vaguer (text/plain) is judged by its body.
          const contentType = response.headers["content-type"] ?? ""
          if (contentType.includes("html")) {
            return yield* fail("decode", `expected JSON but got ${contentType} (a reverse proxy login page?)`)
          }
          const text = yield* readBody(response, config.maxBodyBytes, fail)
          const json = yield* Effect.try({
            try: () => JSON.parse(text) as unknown,
            catch: () =>
              fail(
                "decode",
                `the body is not valid JSON (${contentType || "no content type"}, ${text.length} bytes, truncated?)`,
              ),
          })
          return yield* decode(json).pipe(
            Effect.mapError((error) =>
              fail("decode", `unexpected response shape: ${firstLine(error.message)}`),
            ),
          )
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
        return attempt.pipe(
          Effect.retry({ schedule: retrySchedule(config), while: (error) => error.retryable }),
        )
      }

      const url = (path: string, params?: Record<string, string | number | boolean>) =>
        params === undefined
          ? path
          : `${path}?${new URLSearchParams(Object.entries(params).map(([k, v]): [string, string] => [k, String(v)])).toString()}`

      return {
        target,
        get: (path, schema, params) => call(HttpClientRequest.get(url(path, params)), `GET ${path}`, schema),
        post: (path, body, schema) =>
          call(
            HttpClientRequest.post(path).pipe(HttpClientRequest.bodyUnsafeJson(body)),
            `POST ${path}`,
            schema,
          ),
      }
    }

    return {
      /** The app's API for one configured target. */
      forTarget: (target: TargetConfig): ArrApi =>
        (target.type === "radarr" ? radarr : sonarr)(transport(target)),
    }
  }),
}) {}

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

const firstLine = (text: string) => text.split("\n").slice(0, 3).join(" ").slice(0, 300)

const transportCause = (error: HttpClientError.HttpClientError): string => {
  const cause = error.cause as { code?: string; message?: string } | undefined
  return cause?.code ?? cause?.message?.split("\n")[0] ?? "connection failed"
}
