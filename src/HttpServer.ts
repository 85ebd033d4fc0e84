/**
 * The HTTP routes: `GET /metrics` (Prometheus text), `GET /health` (200 `OK` or 503 with a short
 * reason), and, unless GATHERARR_STATUS_PAGE is off, the read-only status: `GET /` (the page) and
 * `GET /api/status` (JSON). Every other path is 404: paths match exactly (`/HEALTH`, `/health/`, `//health` are
 * not `/health`). A host may mount `routes` in its own server (its router's settings apply there).
 */
import * as HttpRouter from "@effect/platform/HttpRouter"
import * as HttpServer from "@effect/platform/HttpServer"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import type * as Layer from "effect/Layer"
import { GatherarrConfig } from "./Config.ts"
import { Limits } from "./Limits.ts"
import { Scheduler } from "./Scheduler.ts"
import { State } from "./State.ts"
import { currentStatus, Status } from "./Status.ts"
import { renderStatusPage } from "./StatusPage.ts"

/** How the metrics are rendered for `/metrics`. */
export class MetricsExport extends Context.Tag("gatherarr/MetricsExport")<
  MetricsExport,
  { readonly contentType: string; readonly scrape: Effect.Effect<string> }
>() {}

const notFound = HttpServerResponse.text("not found", { status: 404 })

/** The status now, from memory only; none when GATHERARR_STATUS_PAGE is off. */
const status = Effect.gen(function* () {
  const config = yield* GatherarrConfig
  if (!config.statusPage) return undefined
  const limits = yield* Limits
  return yield* currentStatus(config, yield* Status, (yield* State).get, limits.inFlight)
})

export const routes = HttpRouter.empty.pipe(
  HttpRouter.get(
    "/metrics",
    Effect.gen(function* () {
      const exporter = yield* MetricsExport
      const body = yield* exporter.scrape
      return HttpServerResponse.text(body, { contentType: exporter.contentType })
    }),
  ),
  HttpRouter.get(
    "/",
    Effect.map(status, (now) =>
      now === undefined
        ? notFound
        : HttpServerResponse.html(renderStatusPage(now, Date.parse(now.generatedAt))),
    ),
  ),
  HttpRouter.get(
    "/api/status",
    Effect.map(status, (now) =>
      now === undefined
        ? notFound
        : HttpServerResponse.unsafeJson(now, { headers: { "cache-control": "no-store" } }),
    ),
  ),
  HttpRouter.get(
    "/health",
    Effect.gen(function* () {
      const scheduler = yield* Scheduler
      const problem = yield* scheduler.health
      return problem === undefined
        ? HttpServerResponse.text("OK")
        : HttpServerResponse.text(`unhealthy: ${problem}`, { status: 503 })
    }),
  ),
)

/** Paths match exactly: no other case, no trailing slash, no doubled slash. */
export const exactPaths = { caseSensitive: true, ignoreTrailingSlash: false, ignoreDuplicateSlashes: false }

/** Serves the routes, matched exactly, on the platform's HttpServer (provided by the caller). */
export const layer: Layer.Layer<
  never,
  never,
  HttpServer.HttpServer | Scheduler | MetricsExport | GatherarrConfig | Status | State | Limits
> = routes.pipe(
  HttpRouter.withRouterConfig(exactPaths),
  Effect.catchTag("RouteNotFound", () => Effect.succeed(notFound)),
  HttpServer.serve(),
)
