import { describe, expect, it } from "@effect/vitest"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import type * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import { jsonLogger } from "../../src/Logger.ts"

const capture = () => {
  const lines: Array<string> = []
  return {
    lines,
    layer: Logger.replace(
      Logger.defaultLogger,
      jsonLogger((line) => lines.push(line)),
    ) as Layer.Layer<never>,
  }
}

describe("JSON logger", () => {
  it.effect(
    "one JSON object per line: timestamp, level, message, correlation fields first, then the rest",
    () => {
      const { lines, layer } = capture()
      return Effect.gen(function* () {
        yield* Effect.logWarning("something", "happened").pipe(
          Effect.annotateLogs({
            zeta: 1,
            movie_id: 42,
            run_id: "r1",
            target_type: "radarr",
            target_name: "movies",
          }),
        )
        expect(lines).toHaveLength(1)
        expect(lines[0]!.endsWith("\n")).toBe(true)
        const entry = JSON.parse(lines[0]!)
        expect(Object.keys(entry)).toEqual([
          "timestamp",
          "level",
          "message",
          "target_name",
          "target_type",
          "run_id",
          "movie_id",
          "zeta",
        ])
        expect(entry).toMatchObject({ level: "warn", message: "something happened", movie_id: 42 })
        expect(new Date(entry.timestamp).toISOString()).toBe(entry.timestamp)
      }).pipe(Effect.provide(layer))
    },
  )

  it.effect("a cause is rendered; values JSON cannot hold do not break the line", () => {
    const { lines, layer } = capture()
    return Effect.gen(function* () {
      const cyclic: Record<string, unknown> = {}
      cyclic.self = cyclic
      yield* Effect.logError("failed", Cause.fail(new Error("boom"))).pipe(
        Effect.annotateLogs({ big: 10n, cyclic }),
      )
      const entry = JSON.parse(lines[0]!)
      expect(entry).toMatchObject({ level: "error", message: "failed", big: "10", cyclic: "[object Object]" })
      expect(entry.cause).toContain("boom")
    }).pipe(Effect.provide(layer))
  })
})
