/**
 * Exactly the searches promised: a search command reaches the app at most once per decision,
 * whatever happens to its answer; a search's failure is that search's own; a search the app cannot
 * run (no indexer can search) is not sent. Against the simulator over loopback HTTP.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Metric from "effect/Metric"
import * as Redacted from "effect/Redacted"
import { ArrClient } from "../../src/arr/ArrClient.ts"
import { ArrError } from "../../src/arr/ArrError.ts"
import { GatherarrConfig } from "../../src/Config.ts"
import { Limits } from "../../src/Limits.ts"
import * as Metrics from "../../src/Metrics.ts"
import { GatherarrMetrics } from "../../src/Metrics.ts"
import { Search } from "../../src/Search.ts"
import { State } from "../../src/State.ts"
import { StateStore } from "../../src/StateStore.ts"
import { Status } from "../../src/Status.ts"
import {
  captureLogs,
  failureOf,
  runAll,
  searchLayer,
  settings,
  simulators,
  targetFor,
} from "../support/harness.ts"
import { type Fault, indexersFailing, noAutomaticSearch, type Simulator } from "../support/simulator.ts"

const { start } = simulators()

/** Short request timeouts, so an answer that is late is lost. */
const lossy = settings([], {
  requestTimeout: Duration.millis(300),
  commandPollInterval: Duration.millis(50),
  commandTimeout: Duration.seconds(4),
  maxSearchesPerHour: 10,
})

const searchesOf = (name: string) =>
  Effect.map(Metric.value(Metrics.forTarget({ name, type: "radarr" }).searches), (s) => s.count)

/** One search of one movie, with the fault on its POST; what the app ran and what Gatherarr recorded. */
const oneSearch = (name: string, fault: Fault) =>
  Effect.gen(function* () {
    const sim = yield* start({ app: "radarr", movies: 20, grabProbability: 1 })
    sim.inject({ ...fault, method: "POST", path: "/command" })
    const logs = captureLogs()
    const before = yield* searchesOf(name)
    const [exit] = yield* runAll([targetFor(sim, name, { maxSearchesPerRun: 1 })]).pipe(
      Effect.provide(logs.layer),
    )
    const state = yield* (yield* State).get
    return {
      sim,
      exit: exit!,
      logs: logs.lines,
      counted: (yield* searchesOf(name)) - before,
      items: Object.values(state.targets[name]?.items ?? {}),
      budget: state.searches.length,
    }
  })

/** Every POST the app received, and the commands it created from them. */
const received = (sim: Simulator) => ({ posts: sim.commandBodies.length, commands: sim.commands.length })

describe("a search command reaches the app at most once per decision", () => {
  it.live(
    "a POST the app processed but answered after the timeout is not sent again: it is found in the app's list and followed",
    () =>
      Effect.gen(function* () {
        const { sim, exit, logs, counted, items, budget } = yield* oneSearch("late", {
          kind: "delay",
          ms: 1500,
          process: "before",
        })
        expect(received(sim)).toEqual({ posts: 1, commands: 1 })
        expect(Exit.isSuccess(exit)).toBe(true)
        expect(counted).toBe(1)
        expect(budget).toBe(1)
        expect(items).toMatchObject([{ lastResult: "grabbed", commandId: sim.commands[0]!.id }])
        expect(logs).toContainEqual(
          expect.objectContaining({ message: "search command sent", command_source: "command_list" }),
        )
      }).pipe(Effect.provide(searchLayer(lossy))),
  )

  it.live(
    "a POST that hangs before the app takes it is not sent again: the command is found once the app takes it",
    () =>
      Effect.gen(function* () {
        const { sim, exit, counted, items } = yield* oneSearch("slow", {
          kind: "delay",
          ms: 1200,
          process: "after",
        })
        expect(received(sim)).toEqual({ posts: 1, commands: 1 })
        expect(Exit.isSuccess(exit)).toBe(true)
        expect(counted).toBe(1)
        expect(items).toMatchObject([{ lastResult: "grabbed" }])
      }).pipe(Effect.provide(searchLayer(lossy))),
  )

  it.live("a connection reset after the app read the POST is not sent again", () =>
    Effect.gen(function* () {
      const { sim, exit, items } = yield* oneSearch("reset", { kind: "reset", process: "before" })
      expect(received(sim)).toEqual({ posts: 1, commands: 1 })
      expect(Exit.isSuccess(exit)).toBe(true)
      expect(items).toMatchObject([{ lastResult: "grabbed" }])
    }).pipe(Effect.provide(searchLayer(lossy))),
  )

  it.live("a 502 from a proxy after the app took the POST is not sent again", () =>
    Effect.gen(function* () {
      const { sim, exit, items } = yield* oneSearch("proxied", {
        kind: "status",
        status: 502,
        process: "before",
      })
      expect(received(sim)).toEqual({ posts: 1, commands: 1 })
      expect(Exit.isSuccess(exit)).toBe(true)
      expect(items).toMatchObject([{ lastResult: "grabbed" }])
    }).pipe(Effect.provide(searchLayer(lossy))),
  )

  it.live("an answer that says the app did not take it (503 while starting up) is sent again", () =>
    Effect.gen(function* () {
      const { sim, exit, counted, items } = yield* oneSearch("starting", { kind: "status", status: 503 })
      expect(received(sim)).toEqual({ posts: 2, commands: 1 })
      expect(Exit.isSuccess(exit)).toBe(true)
      expect(counted).toBe(1)
      expect(items).toMatchObject([{ lastResult: "grabbed" }])
    }).pipe(Effect.provide(searchLayer(lossy))),
  )

  it.live(
    "a lost answer whose command never appears: counted, in cooldown, recorded failed with an error that says so",
    () =>
      Effect.gen(function* () {
        const { sim, exit, logs, counted, items, budget } = yield* oneSearch("lost", {
          kind: "status",
          status: 504,
        })
        expect(received(sim)).toEqual({ posts: 1, commands: 0 })
        expect(counted).toBe(1)
        expect(budget).toBe(1)
        expect(items).toMatchObject([
          { lastResult: "failed", lastError: expect.stringContaining("the answer was lost") },
        ])
        expect(failureOf(exit).message).toMatch(
          /^lost: POST \/command: the answer was lost \(unexpected status 504/,
        )
        expect(logs).toContainEqual(expect.objectContaining({ level: "warn", message: "search failed" }))
      }).pipe(Effect.provide(searchLayer(lossy))),
  )
})

describe("a search the app provably never took", () => {
  /** The real client, but every search command's connection is refused before it is written. */
  const refusing = Layer.effect(
    ArrClient,
    Effect.map(ArrClient, (real) =>
      ArrClient.make({
        forTarget: (target) => ({
          ...real.forTarget(target),
          search: () =>
            Effect.fail(
              new ArrError({
                target: target.name,
                endpoint: "POST /command",
                reason: "transport",
                detail: "request failed (Transport): ECONNREFUSED",
                unsent: true,
              }),
            ),
        }),
      }),
    ),
  )

  it.live("costs no budget, sets no cooldown, is not counted, and fails the run naming the request", () =>
    Effect.gen(function* () {
      const sim = yield* start({ app: "radarr", movies: 20 })
      const target = targetFor(sim, "refused", { maxSearchesPerRun: 2 })
      const config = settings([target])
      const layer = Search.DefaultWithoutDependencies.pipe(
        Layer.provideMerge(Layer.merge(Limits.Default, refusing)),
        Layer.provide(Layer.merge(ArrClient.Default, Status.Default)),
        Layer.provideMerge(State.Default),
        Layer.provide(Layer.merge(StateStore.layerMemory(), GatherarrMetrics.layer)),
        Layer.provideMerge(GatherarrConfig.layerFrom(config)),
        Layer.provide((yield* Effect.promise(() => import("@effect/platform-node/NodeHttpClient"))).layer),
      )
      const { exit, state, counted } = yield* Effect.gen(function* () {
        const before = yield* searchesOf("refused")
        const [exit] = yield* runAll([target])
        return {
          exit: exit!,
          state: yield* (yield* State).get,
          counted: (yield* searchesOf("refused")) - before,
        }
      }).pipe(Effect.provide(layer))
      expect(failureOf(exit).message).toMatch(
        /^refused: POST \/command: request failed \(Transport\): ECONNREFUSED/,
      )
      expect(state.searches).toEqual([])
      expect(Object.keys(state.targets.refused?.items ?? {})).toEqual([])
      expect(counted).toBe(0)
    }),
  )
})

describe("one search's failure is that search's own", () => {
  it.live(
    "with two in flight, a failed POST ends neither the other search nor its recording; the run names the failure",
    () =>
      Effect.gen(function* () {
        const sim = yield* start({ app: "radarr", movies: 30, grabProbability: 1, commandRunMs: 400 })
        // The second POST's answer is lost and its command never appears.
        sim.inject({ kind: "status", status: 500, method: "POST", path: "/command", times: 1 })
        const target = targetFor(sim, "pair", { maxSearchesPerRun: 2 })
        const [exit] = yield* runAll([target])
        const items = Object.values((yield* (yield* State).get).targets.pair!.items)
        expect(items.map((i) => i.lastResult).sort()).toEqual(["failed", "grabbed"])
        expect(sim.commands).toHaveLength(1)
        expect(sim.commands[0]!.status).toBe("completed")
        expect(failureOf(exit!).message).toMatch(/^pair: POST \/command: the answer was lost/)
      }).pipe(
        Effect.provide(
          searchLayer(
            settings([], {
              concurrency: 2,
              commandTimeout: Duration.seconds(2),
              commandPollInterval: Duration.millis(50),
            }),
          ),
        ),
      ),
  )
})

describe("searches the app cannot run", () => {
  it.live.each([
    ["every indexer is failing", indexersFailing],
    ["no indexer may search automatically", noAutomaticSearch],
  ] as const)(
    "when %s: no search, no budget, no cooldown; the run fails with the app's message; then back",
    ([, health]) =>
      Effect.gen(function* () {
        const sim = yield* start({ app: "radarr", movies: 30 })
        sim.health = health("radarr")
        const target = targetFor(sim, "down", { maxSearchesPerRun: 2 })
        const gauge = Metrics.forTarget(target).indexersUnavailable
        const [exit] = yield* runAll([target])
        const error = failureOf(exit!)
        expect(error.reason).toBe("indexers_unavailable")
        expect(error.message).toContain(sim.health[0]!.message)
        expect(sim.count("/command", "POST")).toBe(0)
        const state = yield* (yield* State).get
        expect(state.searches).toEqual([])
        expect(state.targets.down!.items).toEqual({})
        expect(state.targets.down).toMatchObject({ lastStatus: "failure", consecutiveFailures: 1 })
        expect((yield* Metric.value(gauge)).value).toBe(1)
        // The indexers are back.
        sim.health = []
        const [again] = yield* runAll([target])
        expect(again && Exit.isSuccess(again)).toBe(true)
        expect(sim.count("/command", "POST")).toBe(2)
        expect((yield* Metric.value(gauge)).value).toBe(0)
      }).pipe(Effect.provide(searchLayer(settings([])))),
  )

  it.live("a warning about interactive search alone, or some indexers failing, does not stop searches", () =>
    Effect.gen(function* () {
      const sim = yield* start({ app: "sonarr", series: 6 })
      sim.health = [
        {
          source: "IndexerSearchCheck",
          type: "warning",
          message:
            "No indexers available with Interactive Search enabled, Sonarr will not provide any interactive search results",
          wikiUrl:
            "https://wiki.servarr.com/sonarr/system#no-indexers-available-with-interactive-search-enabled",
        },
        {
          source: "IndexerStatusCheck",
          type: "warning",
          message: "Indexers unavailable due to failures: NZBgeek",
          wikiUrl: "https://wiki.servarr.com/sonarr/system#indexers-are-unavailable-due-to-failures",
        },
      ]
      const [exit] = yield* runAll([targetFor(sim, "tv", { maxSearchesPerRun: 1 })])
      expect(Exit.isSuccess(exit!)).toBe(true)
      expect(sim.count("/command", "POST")).toBe(1)
    }).pipe(Effect.provide(searchLayer(settings([])))),
  )
})

describe("the re-send rule", () => {
  const error = (fields: Partial<ConstructorParameters<typeof ArrError>[0]>) =>
    new ArrError({ target: "t", endpoint: "POST /command", reason: "status", detail: "x", ...fields })
  it.each([
    ["connection refused before the request was written", true, { reason: "transport", unsent: true }],
    ["a reset or other failure after connecting", false, { reason: "transport" }],
    ["a timeout", false, { reason: "timeout" }],
    ["429 Too Many Requests", true, { status: 429 }],
    ["503 while the app starts up", true, { status: 503 }],
    ["500 (the app, or a proxy after the app took it)", false, { status: 500 }],
    ["502 from a proxy", false, { status: 502 }],
    ["504 from a proxy", false, { status: 504 }],
    ["401", false, { reason: "unauthorized", status: 401 }],
    ["a body that does not decode", false, { reason: "decode" }],
  ] as const)("%s: sent again: %s", (_, resend, fields) => {
    expect(error(fields as never).safeToResend).toBe(resend)
  })
  it("the key is never part of the rule or its message", () => {
    expect(error({ detail: "x" }).message).toBe("t: POST /command: x")
    expect(Redacted.make("k").toString()).toBe("<redacted>")
  })
})
