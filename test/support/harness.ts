/** Builds Gatherarr's layers against simulators, for in-process tests. */
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { afterEach, expect } from "@effect/vitest"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import * as Redacted from "effect/Redacted"
import type { ArrError } from "../../src/arr/ArrError.ts"
import { GatherarrConfig, type GatherarrSettings, type TargetConfig } from "../../src/Config.ts"
import { jsonLogger } from "../../src/Logger.ts"
import { GatherarrMetrics } from "../../src/Metrics.ts"
import { Search } from "../../src/Search.ts"
import { State } from "../../src/State.ts"
import { StateStore } from "../../src/StateStore.ts"
import { Simulator, type SimulatorOptions } from "./simulator.ts"

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
  Layer.merge(Search.Default, State.Default).pipe(
    Layer.provide(Layer.merge(store, GatherarrMetrics.layer)),
    Layer.provideMerge(GatherarrConfig.layerFrom(config)),
    Layer.provide(NodeHttpClient.layer),
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

/**
 * Starts simulators for a test file. After each test they are closed (`close` first, to let a
 * test stop one itself), having received only MoviesSearch and SeasonSearch commands and no change
 * to tags, whatever the test did.
 */
export const simulators = () => {
  const running = new Set<Simulator>()
  afterEach(async () => {
    for (const sim of running) {
      for (const body of sim.commandBodies) expect(ALLOWED_COMMANDS).toContain(body.name)
      expect(sim.requests.filter((r) => r.path.startsWith("/tag") && r.method !== "GET")).toEqual([])
      await sim.close()
    }
    running.clear()
  })
  return {
    start: (options: SimulatorOptions) =>
      Effect.promise(async () => {
        const sim = await Simulator.start(options)
        running.add(sim)
        return sim
      }),
    /** Stops a simulator now (the app going away). */
    close: (sim: Simulator) =>
      Effect.promise(async () => {
        running.delete(sim)
        await sim.close()
      }),
  }
}

/** One run of each target, in order, each recorded; returns the runs' exits. */
export const runAll = (targets: ReadonlyArray<TargetConfig>) =>
  Effect.gen(function* () {
    const search = yield* Search
    const exits = []
    for (const target of targets) {
      const exit = yield* Effect.exit(search.run(target))
      yield* search.recordRun(target, Exit.isSuccess(exit) ? {} : { error: String(exit.cause) })
      exits.push(exit)
    }
    return exits
  })

/** The error a run failed with. */
export const failureOf = <A>(exit: Exit.Exit<A, ArrError>): ArrError => {
  if (Exit.isSuccess(exit) || exit.cause._tag !== "Fail")
    throw new Error(`expected a failure, got ${exit._tag}`)
  return exit.cause.error
}
