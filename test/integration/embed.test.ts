import { readFileSync } from "node:fs"
import { join } from "node:path"
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as NodePath from "@effect/platform-node/NodePath"
import { describe, expect, it } from "@effect/vitest"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Metric from "effect/Metric"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Scope from "effect/Scope"
import { HostApp } from "../../examples/embed.ts"
import { GatherarrConfig } from "../../src/Config.ts"
import { GatherarrCore, GatherarrLayer } from "../../src/index.ts"
import * as Metrics from "../../src/Metrics.ts"
import { GatherarrMetrics } from "../../src/Metrics.ts"
import type { StateFile } from "../../src/StateFile.ts"
import { StateStore } from "../../src/StateStore.ts"
import { freePort, waitForStatus } from "../support/process.ts"
import { Simulator } from "../support/simulator.ts"
import { tempDir } from "../support/temp.ts"

/** Waits until the simulator completed a search (and Gatherarr recorded it), then closes the scope. */
const stopAfterFirstSearch = (sim: Simulator, scope: Scope.CloseableScope) =>
  Effect.promise(async () => {
    while (!sim.commands.some((c) => c.status === "completed")) await new Promise((r) => setTimeout(r, 20))
  }).pipe(Effect.zipRight(Effect.sleep("200 millis")), Effect.zipRight(Scope.close(scope, Exit.void)))

describe("GatherarrLayer", () => {
  it.live(
    "with its default ports needs only the platform: config from the ambient provider, the state file, the documented metrics",
    () =>
      Effect.gen(function* () {
        const apiKey = "layer-KEY-77"
        const radarr = yield* Effect.promise(() => Simulator.start({ app: "radarr", apiKey, movies: 20 }))
        const dir = tempDir("layer")
        const provider = ConfigProvider.fromMap(
          new Map([
            ["GATHERARR_TARGETS", "films:radarr"],
            ["GATHERARR_TARGET_FILMS_URL", radarr.url],
            ["GATHERARR_TARGET_FILMS_API_KEY", apiKey],
            ["GATHERARR_MAX_SEARCHES_PER_RUN", "1"],
            ["GATHERARR_COMMAND_POLL_INTERVAL", "50ms"],
            ["GATHERARR_STATE_PATH", join(dir, "state.json")],
          ]),
          { pathDelim: "_" },
        )
        const scope = yield* Scope.make()
        yield* Layer.buildWithScope(
          GatherarrLayer.pipe(
            Layer.provide(Layer.mergeAll(FetchHttpClient.layer, NodeFileSystem.layer, NodePath.layer)),
            Layer.provide(Layer.setConfigProvider(provider)),
          ),
          scope,
        )
        yield* stopAfterFirstSearch(radarr, scope)
        const state = JSON.parse(readFileSync(join(dir, "state.json"), "utf8"))
        expect(Object.keys(state.targets.films.items)).toHaveLength(1)
        const metric = yield* Metric.value(
          Metrics.searches.pipe(Metric.tagged("target", "films"), Metric.tagged("type", "radarr")),
        )
        expect(metric.count).toBe(1)
        yield* Effect.promise(() => radarr.close())
      }),
  )

  it.live("a host may provide its own GatherarrMetrics, e.g. with an extra label", () =>
    Effect.gen(function* () {
      const radarr = yield* Effect.promise(() => Simulator.start({ app: "radarr", movies: 20 }))
      const withInstance: Layer.Layer<GatherarrMetrics> = Layer.succeed(GatherarrMetrics, {
        forTarget: (target) => {
          const m = Metrics.forTarget(target)
          const home = <T, I, O>(metric: Metric.Metric<T, I, O>) =>
            metric.pipe(Metric.tagged("instance", "home"))
          return {
            runSuccess: home(m.runSuccess),
            runFailure: home(m.runFailure),
            requests: home(m.requests),
            searches: home(m.searches),
            grabs: home(m.grabs),
            skips: home(m.skips),
            requestErrors: home(m.requestErrors),
            requestDuration: home(m.requestDuration),
            lastSuccess: home(m.lastSuccess),
            indexersUnavailable: home(m.indexersUnavailable),
            wanted: { missing: home(m.wanted.missing), cutoff: home(m.wanted.cutoff) },
            backlogSearched: home(m.backlogSearched),
          }
        },
        stateWriteFailures: Metrics.stateWriteFailures.pipe(Metric.tagged("instance", "home")),
      })
      const target = GatherarrConfig.target({
        name: "labelled",
        type: "radarr",
        url: radarr.url,
        apiKey: Redacted.make(radarr.apiKey),
        maxSearchesPerRun: 1,
      })
      const scope = yield* Scope.make()
      yield* Layer.buildWithScope(
        GatherarrCore.pipe(
          Layer.provide(Layer.mergeAll(StateStore.layerMemory(), withInstance, FetchHttpClient.layer)),
          Layer.provide(
            GatherarrConfig.layerFrom(
              GatherarrConfig.make({ targets: [target], commandPollInterval: Duration.millis(50) }),
            ),
          ),
        ),
        scope,
      )
      yield* stopAfterFirstSearch(radarr, scope)
      const labelled = Metrics.searches.pipe(
        Metric.tagged("target", "labelled"),
        Metric.tagged("type", "radarr"),
        Metric.tagged("instance", "home"),
      )
      expect((yield* Metric.value(labelled)).count).toBe(1)
      yield* Effect.promise(() => radarr.close())
    }),
  )
})

describe("examples/embed.ts", () => {
  it.live(
    "a host app runs Gatherarr's layers with its own config, store, logger and HTTP server; closing its scope stops everything and flushes the state",
    () =>
      Effect.gen(function* () {
        const apiKey = "embed-KEY-91c2"
        const radarr = yield* Effect.promise(() => Simulator.start({ app: "radarr", apiKey, movies: 20 }))
        const sonarr = yield* Effect.promise(() => Simulator.start({ app: "sonarr", apiKey, series: 4 }))
        const saves: Array<StateFile> = []
        const store = Layer.succeed(StateStore, {
          load: Effect.succeed(Option.none()),
          save: (state) => Effect.sync(() => void saves.push(state)),
        })
        const lines: Array<string> = []
        const port = yield* Effect.promise(freePort)
        const scope = yield* Scope.make()
        yield* Layer.buildWithScope(
          HostApp({
            radarrUrl: radarr.url,
            sonarrUrl: sonarr.url,
            apiKey,
            port,
            log: (l) => lines.push(l),
            store,
          }),
          scope,
        )
        const base = `http://127.0.0.1:${port}`
        yield* Effect.promise(async () => {
          for (let i = 0; i < 200 && !(radarr.commands.length >= 2 && sonarr.commands.length >= 2); i++) {
            await new Promise((r) => setTimeout(r, 50))
          }
        })
        expect(radarr.commandBodies.map((b) => b.name)).toEqual(["MoviesSearch", "MoviesSearch"])
        expect(sonarr.commandBodies.map((b) => b.name)).toEqual(["SeasonSearch", "SeasonSearch"])
        const health = yield* Effect.promise(() => waitForStatus(`${base}/gatherarr/health`, 200))
        expect(yield* Effect.promise(() => health.text())).toBe("OK")
        const metrics = yield* Effect.promise(() => fetch(`${base}/gatherarr/metrics`).then((r) => r.text()))
        expect(metrics).toContain('gatherarr_requests_total{target="movies",type="radarr"}')
        expect(yield* Effect.promise(() => fetch(`${base}/`).then((r) => r.text()))).toBe(
          "my media dashboard",
        )
        // The host's logger received Gatherarr's lines, with their annotations.
        expect(
          lines.some(
            (l) => l.startsWith("[host] INFO search command sent") && l.includes('"target_name":"movies"'),
          ),
        ).toBe(true)

        const savesBefore = saves.length
        yield* Scope.close(scope, Exit.void)
        // The state was flushed on the way out, and nothing runs any more.
        expect(saves.length).toBeGreaterThan(savesBefore)
        const requests = radarr.requests.length + sonarr.requests.length
        yield* Effect.sleep("300 millis")
        expect(radarr.requests.length + sonarr.requests.length).toBe(requests)
        expect(
          yield* Effect.promise(() =>
            fetch(`${base}/gatherarr/health`).then(
              () => "up",
              () => "down",
            ),
          ),
        ).toBe("down")
        yield* Effect.promise(() => Promise.all([radarr.close(), sonarr.close()]))
      }),
  )
})
