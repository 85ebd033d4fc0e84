/** Builds Gatherarr's layers against simulators, for in-process tests. */
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as Duration from "effect/Duration"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import * as Redacted from "effect/Redacted"
import { ArrClient } from "../../src/arr/ArrClient.ts"
import { GatherarrConfig, type GatherarrSettings, type TargetConfig } from "../../src/Config.ts"
import { Limits } from "../../src/Limits.ts"
import { jsonLogger } from "../../src/Logger.ts"
import { GatherarrMetrics } from "../../src/Metrics.ts"
import { Search } from "../../src/Search.ts"
import { State } from "../../src/State.ts"
import { StateStore } from "../../src/StateStore.ts"
import type { Simulator } from "./simulator.ts"

export const targetFor = (
  sim: Simulator,
  name: string,
  overrides: Partial<TargetConfig> = {},
): TargetConfig =>
  GatherarrConfig.target({
    name,
    type: sim.options.app,
    url: sim.url,
    apiKey: Redacted.make(sim.apiKey),
    ...overrides,
  })

/** Fast timings so tests run in milliseconds. */
export const settings = (targets: ReadonlyArray<TargetConfig>, overrides: Partial<GatherarrSettings> = {}) =>
  GatherarrConfig.make({
    targets,
    requestTimeout: Duration.seconds(2),
    retryAttempts: 2,
    retryBaseDelay: Duration.millis(10),
    retryMaxDelay: Duration.millis(50),
    commandPollInterval: Duration.millis(20),
    commandTimeout: Duration.seconds(5),
    ...overrides,
  })

/** Search and everything below it; the store defaults to memory. */
export const searchLayer = (
  config: GatherarrSettings,
  store: Layer.Layer<StateStore, unknown> = StateStore.layerMemory(),
) =>
  Search.Default.pipe(
    Layer.provideMerge(Layer.merge(Limits.Default, ArrClient.Default)),
    Layer.provideMerge(State.Default),
    Layer.provide(Layer.merge(store, GatherarrMetrics.layer)),
    Layer.provideMerge(GatherarrConfig.layerFrom(config)),
    Layer.provide(FetchHttpClient.layer),
  )

/** Captures log lines (JSON objects) at every level. */
export const captureLogs = () => {
  const lines: Array<Record<string, unknown>> = []
  const layer = Layer.merge(
    Logger.replace(
      Logger.defaultLogger,
      jsonLogger((line) => lines.push(JSON.parse(line))),
    ),
    Logger.minimumLogLevel(LogLevel.Debug),
  )
  return { lines, layer }
}

export const ALLOWED_COMMANDS = ["MoviesSearch", "SeasonSearch"]
