/**
 * Exports Gatherarr's Effect metrics in the Prometheus text format, through @effect/opentelemetry and
 * OpenTelemetry's Prometheus exporter (its own HTTP server is not started; `/metrics` serves it).
 */
import * as OtelMetrics from "@effect/opentelemetry/Metrics"
import * as Resource from "@effect/opentelemetry/Resource"
import { PrometheusExporter, PrometheusSerializer } from "@opentelemetry/exporter-prometheus"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { MetricsExport } from "./HttpServer.ts"

export const layer: Layer.Layer<MetricsExport> = Effect.gen(function* () {
  const exporter = new PrometheusExporter({
    preventServerStart: true,
    withoutScopeInfo: true,
    withoutTargetInfo: true,
  })
  const serializer = new PrometheusSerializer(undefined, false, undefined, true, true)
  return Layer.merge(
    Layer.succeed(MetricsExport, {
      contentType: "text/plain; version=0.0.4; charset=utf-8",
      scrape: Effect.promise(() => exporter.collect()).pipe(
        Effect.map(({ resourceMetrics }) => ({
          ...resourceMetrics,
          // Only Gatherarr's own metrics (not Effect's fiber metrics, nor a host's).
          scopeMetrics: resourceMetrics.scopeMetrics.map((scope) => ({
            ...scope,
            metrics: scope.metrics.filter((metric) => metric.descriptor.name.startsWith("gatherarr_")),
          })),
        })),
        Effect.map((resourceMetrics) =>
          // `# UNIT` is OpenMetrics only; the 0.0.4 text format has HELP and TYPE.
          serializer.serialize(resourceMetrics).replace(/^# UNIT .*\n/gm, ""),
        ),
      ),
    }),
    OtelMetrics.layer(() => exporter).pipe(Layer.provide(Resource.layer({ serviceName: "gatherarr" }))),
  )
}).pipe(Layer.unwrapEffect)
