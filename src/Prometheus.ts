/**
 * Exports Gatherarr's Effect metrics in the Prometheus text format, through @effect/opentelemetry and
 * OpenTelemetry's Prometheus exporter (its own HTTP server is not started; `/metrics` serves it).
 * OpenTelemetry is loaded at the first scrape, not at start-up: Effect's metrics accumulate on their
 * own, so nothing is lost, and start-up does not pay for code only a scrape needs.
 */
import * as Effect from "effect/Effect"
import * as ExecutionStrategy from "effect/ExecutionStrategy"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Scope from "effect/Scope"
import { MetricsExport } from "./HttpServer.ts"

const load = (scope: Scope.Scope) =>
  Effect.gen(function* () {
    const [{ PrometheusExporter, PrometheusSerializer }, OtelMetrics, Resource] = yield* Effect.promise(() =>
      Promise.all([
        import("@opentelemetry/exporter-prometheus"),
        import("@effect/opentelemetry/Metrics"),
        import("@effect/opentelemetry/Resource"),
      ]),
    )
    const exporter = new PrometheusExporter({
      preventServerStart: true,
      withoutScopeInfo: true,
      withoutTargetInfo: true,
    })
    const serializer = new PrometheusSerializer(undefined, false, undefined, true, true)
    yield* Layer.buildWithScope(
      OtelMetrics.layer(() => exporter).pipe(Layer.provide(Resource.layer({ serviceName: "gatherarr" }))),
      scope,
    )
    return Effect.promise(() => exporter.collect()).pipe(
      Effect.map(({ resourceMetrics }) => ({
        ...resourceMetrics,
        // Only Gatherarr's own metrics (not Effect's fiber metrics, nor a host's).
        scopeMetrics: resourceMetrics.scopeMetrics.map((scope) => ({
          ...scope,
          metrics: scope.metrics.filter((metric) => metric.descriptor.name.startsWith("gatherarr_")),
        })),
      })),
      // `# UNIT` is OpenMetrics only; the 0.0.4 text format has HELP and TYPE.
      Effect.map((resourceMetrics) => serializer.serialize(resourceMetrics).replace(/^# UNIT .*\n/gm, "")),
    )
  })

export const layer: Layer.Layer<MetricsExport> = Layer.scoped(
  MetricsExport,
  Effect.gen(function* () {
    const scope = yield* Effect.scope
    const inner = yield* Scope.fork(scope, ExecutionStrategy.sequential)
    const scrape = yield* Effect.cached(load(inner))
    yield* Effect.addFinalizer(() => Scope.close(inner, Exit.void))
    return {
      contentType: "text/plain; version=0.0.4; charset=utf-8",
      scrape: Effect.flatten(scrape),
    }
  }),
)
