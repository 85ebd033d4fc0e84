import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Scope from "effect/Scope"
import { HostApp } from "../../examples/embed.ts"
import type { StateFile } from "../../src/State.ts"
import { StateStore } from "../../src/StateStore.ts"
import { freePort, waitForStatus } from "../support/process.ts"
import { Simulator } from "../support/simulator.ts"

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
