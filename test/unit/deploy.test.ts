import { readFileSync } from "node:fs"
import { join } from "node:path"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Metric from "effect/Metric"
import { parse } from "yaml"
import * as Metrics from "../../src/Metrics.ts"
import { promtool, requirePromtool } from "../support/promtool.ts"

const root = join(import.meta.dirname, "..", "..")

/** Metric names a PromQL expression uses, with histogram suffixes resolved to the histogram. */
const metricsIn = (expr: string) =>
  [...expr.matchAll(/\bgatherarr_[a-z_]+/g)].map(([name]) => name.replace(/_(bucket|count|sum)$/, ""))

const defined = Effect.provide(
  Effect.gen(function* () {
    yield* Metrics.initialize(yield* Metrics.GatherarrMetrics, [
      { name: "probe", type: "radarr", search: ["missing", "cutoff"] },
    ])
    return new Set((yield* Metric.snapshot).map((pair) => pair.metricKey.name))
  }),
  Metrics.GatherarrMetrics.layer,
)

describe("deployment files", () => {
  it.effect("every metric the Grafana dashboard queries exists", () =>
    Effect.gen(function* () {
      const names = yield* defined
      const dashboard = JSON.parse(readFileSync(join(root, "deploy", "grafana-dashboard.json"), "utf8"))
      const exprs: Array<string> = dashboard.panels.flatMap((p: { targets: Array<{ expr: string }> }) =>
        p.targets.map((t) => t.expr),
      )
      const used = new Set(exprs.flatMap(metricsIn))
      // searches, grabs, skips, errors, latency percentiles and last success age are all shown.
      for (const name of [
        "gatherarr_searches_total",
        "gatherarr_grabs_total",
        "gatherarr_skips_total",
        "gatherarr_request_errors_total",
        "gatherarr_request_duration_seconds",
        "gatherarr_last_success_timestamp_seconds",
      ]) {
        expect(used).toContain(name)
      }
      for (const name of used) expect(names).toContain(name)
      expect(exprs.some((e) => e.includes("histogram_quantile(0.99"))).toBe(true)
    }),
  )

  it.effect("every metric the alert rules use exists, and the three alerts are there", () =>
    Effect.gen(function* () {
      const names = yield* defined
      const rules = parse(readFileSync(join(root, "deploy", "prometheus-rules.yml"), "utf8"))
      const alerts: Array<{ alert: string; expr: string }> = rules.groups.flatMap(
        (g: { rules: Array<unknown> }) => g.rules,
      )
      expect(alerts.map((a) => a.alert)).toEqual([
        "GatherarrTargetFailing",
        "GatherarrNoRecentSuccess",
        "GatherarrStateWriteFailures",
      ])
      for (const alert of alerts) {
        const used = metricsIn(alert.expr)
        expect(used.length).toBeGreaterThan(0)
        for (const name of used) expect(names).toContain(name)
      }
    }),
  )

  it("promtool accepts the alert rules", (context) => {
    requirePromtool(context)
    const check = promtool(["check", "rules", join(root, "deploy", "prometheus-rules.yml")])
    expect(check.stdout).toContain("SUCCESS: 3 rules found")
    expect(check.status).toBe(0)
  })

  it("the compose file takes keys from files and mounts the state volume", () => {
    const compose = parse(readFileSync(join(root, "docker-compose.yml"), "utf8"))
    const env = compose.services.gatherarr.environment as Record<string, string>
    expect(Object.keys(env).filter((k) => k.endsWith("_API_KEY"))).toEqual([])
    expect(env.GATHERARR_TARGET_MOVIES_API_KEY_FILE).toBe("/run/secrets/radarr_api_key")
    expect(compose.services.gatherarr.volumes).toEqual(["./gatherarr:/data"])
    expect(compose.services.gatherarr.healthcheck.test.join(" ")).toContain("/health")
  })
})
