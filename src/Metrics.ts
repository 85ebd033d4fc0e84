/**
 * Every Gatherarr metric, defined once. Effect metrics: the standalone binary exports them through
 * OpenTelemetry's Prometheus exporter; an embedding host exports them through its own setup.
 * Labels are bounded: target name, target type, run status. Never item ids.
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Metric from "effect/Metric"
import * as MetricBoundaries from "effect/MetricBoundaries"
import type { SearchMode, TargetConfig } from "./Config.ts"

const counter = (name: string, description: string) =>
  Metric.counter(name, { description, incremental: true })

export const runs = counter("gatherarr_run_total", "Runs per target, by status (success or failure).")
export const requests = counter(
  "gatherarr_requests_total",
  "HTTP requests sent to the app, each attempt counted.",
)
export const searches = counter(
  "gatherarr_searches_total",
  "Search commands sent (MoviesSearch or SeasonSearch).",
)
export const grabs = counter(
  "gatherarr_grabs_total",
  "Downloads grabbed by Gatherarr's searches (distinct downloads).",
)
export const skips = counter(
  "gatherarr_skips_total",
  "Candidates skipped: cooldown not elapsed, already queued, or a limit reached.",
)
export const requestErrors = counter(
  "gatherarr_request_errors_total",
  "HTTP requests to the app that failed (network, timeout, non-2xx status, undecodable body).",
)
export const requestDuration = Metric.histogram(
  "gatherarr_request_duration_seconds",
  MetricBoundaries.fromIterable([0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60]),
  "Duration of individual HTTP requests to the app, in seconds.",
)
export const lastSuccess = Metric.gauge("gatherarr_last_success_timestamp_seconds", {
  description: "Unix time of the target's last successful run (0 before the first).",
})
export const indexersUnavailable = Metric.gauge("gatherarr_indexers_unavailable", {
  description:
    "1 while the app reports that no indexer can search (its health check), so runs send no search; else 0.",
})
export const wantedItems = Metric.gauge("gatherarr_wanted_items", {
  description:
    "Records in the app's wanted list at the last run that read it, by mode (missing or cutoff; Radarr: movies, Sonarr: episodes).",
})
export const backlogSearched = Metric.gauge("gatherarr_backlog_searched_items", {
  description:
    "Items (movies or seasons) Gatherarr searched within the target's cooldown, at the last run's end.",
})
export const stateWriteFailures = counter(
  "gatherarr_state_write_failures_total",
  "State file writes that failed (the in-memory state stays authoritative; the next write retries).",
)

type Counter = Metric.Metric.Counter<number>

export interface TargetMetrics {
  readonly runSuccess: Counter
  readonly runFailure: Counter
  readonly requests: Counter
  readonly searches: Counter
  readonly grabs: Counter
  readonly skips: Counter
  readonly requestErrors: Counter
  readonly requestDuration: Metric.Metric.Histogram<number>
  readonly lastSuccess: Metric.Metric.Gauge<number>
  readonly indexersUnavailable: Metric.Metric.Gauge<number>
  readonly wanted: Readonly<Record<SearchMode, Metric.Metric.Gauge<number>>>
  readonly backlogSearched: Metric.Metric.Gauge<number>
}

/** The metrics of one target, with its labels applied. */
export const forTarget = (target: Pick<TargetConfig, "name" | "type">): TargetMetrics => {
  const tag = <Type, In, Out>(metric: Metric.Metric<Type, In, Out>) =>
    metric.pipe(Metric.tagged("target", target.name), Metric.tagged("type", target.type))
  return {
    runSuccess: tag(runs).pipe(Metric.tagged("status", "success")),
    runFailure: tag(runs).pipe(Metric.tagged("status", "failure")),
    requests: tag(requests),
    searches: tag(searches),
    grabs: tag(grabs),
    skips: tag(skips),
    requestErrors: tag(requestErrors),
    requestDuration: tag(requestDuration),
    lastSuccess: tag(lastSuccess),
    indexersUnavailable: tag(indexersUnavailable),
    wanted: {
      missing: tag(wantedItems).pipe(Metric.tagged("mode", "missing")),
      cutoff: tag(wantedItems).pipe(Metric.tagged("mode", "cutoff")),
    },
    backlogSearched: tag(backlogSearched),
  }
}

export interface GatherarrMetricsShape {
  /** The metrics of one target, with its labels applied. */
  readonly forTarget: (target: Pick<TargetConfig, "name" | "type">) => TargetMetrics
  readonly stateWriteFailures: Counter
}

/**
 * The metrics Gatherarr records, as a port. `layer` is the documented `gatherarr_*` set; a host may
 * provide its own (e.g. with an extra label per instance). Effect metrics live in Effect's registry:
 * a host with its own OpenTelemetry setup exports them as they are.
 */
export class GatherarrMetrics extends Context.Tag("gatherarr/Metrics")<
  GatherarrMetrics,
  GatherarrMetricsShape
>() {
  static readonly layer: Layer.Layer<GatherarrMetrics> = Layer.succeed(GatherarrMetrics, {
    forTarget,
    stateWriteFailures,
  })
}

/** Registers every series of every target at 0, so dashboards see them from start-up. */
export const initialize = (
  metrics: GatherarrMetricsShape,
  targets: ReadonlyArray<Pick<TargetConfig, "name" | "type" | "search">>,
) =>
  Effect.gen(function* () {
    yield* Metric.incrementBy(metrics.stateWriteFailures, 0)
    for (const target of targets) {
      const m = metrics.forTarget(target)
      for (const c of [
        m.runSuccess,
        m.runFailure,
        m.requests,
        m.searches,
        m.grabs,
        m.skips,
        m.requestErrors,
      ]) {
        yield* Metric.incrementBy(c, 0)
      }
      yield* Metric.value(m.requestDuration)
      yield* Metric.value(m.lastSuccess)
      yield* Metric.value(m.indexersUnavailable)
      yield* Metric.value(m.backlogSearched)
      for (const mode of target.search) yield* Metric.value(m.wanted[mode])
    }
  })
