/**
 * A failed call to a Radarr or Sonarr: which target and endpoint, why, and whether it may be
 * retried. Its message names the target and the endpoint, never the key or a URL's query.
 */
import * as Data from "effect/Data"
import type * as Duration from "effect/Duration"

export type ArrErrorReason =
  | "transport"
  | "timeout"
  | "status"
  | "unauthorized"
  | "redirect"
  | "decode"
  | "too_large"
  | "wrong_app"
  | "unknown_tag"
  | "indexers_unavailable"
  | "answer_lost"

export class ArrError extends Data.TaggedError("ArrError")<{
  readonly target: string
  readonly endpoint: string
  readonly reason: ArrErrorReason
  readonly detail: string
  readonly status?: number
  readonly retryAfter?: Duration.Duration
  /** A bounded, secret-free part of the app's own `message`, if it sent one. */
  readonly appMessage?: string
  /** The connection failed before the request was written: the app cannot have received it. */
  readonly unsent?: boolean
}> {
  override get message() {
    return `${this.target}: ${this.endpoint}: ${this.detail}`
  }

  /** Worth another attempt: network trouble, a timeout, 5xx, 429. */
  get retryable(): boolean {
    return (
      this.reason === "transport" ||
      this.reason === "timeout" ||
      (this.reason === "status" && (this.status === 429 || (this.status ?? 0) >= 500))
    )
  }

  /**
   * A request that changes something (a search command) may be sent again only when this proves
   * the app did not act on it: the connection failed before the request was written, or the app
   * answered that it did not take it (429, or 503 while starting up; 401 is not retried at all).
   * After a timeout, a reset, or a 5xx that a proxy may have sent after the app took the request,
   * nobody knows.
   */
  get safeToResend(): boolean {
    return (
      (this.reason === "transport" && this.unsent === true) ||
      (this.reason === "status" && (this.status === 429 || this.status === 503))
    )
  }
}
