import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import { describe, expect, it } from "@effect/vitest"
import * as Cause from "effect/Cause"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import fc from "fast-check"
import { ConfigValidationError, GLOBAL_KEYS, load, TARGET_KEYS } from "../../src/Config.ts"

const SECRET = "pr0p-s3cret-KEY"

/** Values that are often almost right. */
const value = fc.oneof(
  fc.string(),
  fc.constantFrom(
    "",
    " ",
    "0",
    "1",
    "-1",
    "1h",
    "30s",
    "7d",
    "1h30m",
    "true",
    "no",
    "missing,cutoff",
    "01:00-07:00",
    "http://x:1",
    "htp://x",
  ),
  fc.integer().map(String),
)
const name = fc.oneof(
  fc.constantFrom("movies", "tv", "tv_4k", "a"),
  fc.stringMatching(/^[a-zA-Z0-9_:-]{0,8}$/),
)
const env = fc
  .record({
    targets: fc.array(fc.tuple(name, fc.constantFrom("radarr", "sonarr", "lidarr", "")), { maxLength: 3 }),
    globals: fc.dictionary(fc.constantFrom(...GLOBAL_KEYS), value, { maxKeys: 6 }),
    perTarget: fc.array(fc.tuple(name, fc.constantFrom(...TARGET_KEYS, "URLS", "TYPO"), value), {
      maxLength: 8,
    }),
    raw: fc.boolean(),
  })
  .map(({ targets, globals, perTarget, raw }) => {
    const map = new Map<string, string>()
    if (!raw || targets.length > 0)
      map.set("GATHERARR_TARGETS", targets.map(([n, t]) => `${n}:${t}`).join(","))
    for (const [k, v] of Object.entries(globals)) map.set(`GATHERARR_${k}`, v)
    for (const [n, k, v] of perTarget)
      map.set(`GATHERARR_TARGET_${n.toUpperCase()}_${k}`, k.startsWith("API_KEY") ? SECRET : v)
    return map
  })

describe("configuration, property-based", () => {
  it.effect(
    "random environments never crash the parser; every rejection names a variable and never the key",
    () =>
      Effect.promise(() =>
        fc.assert(
          fc.asyncProperty(env, async (map) => {
            const exit = await Effect.runPromiseExit(
              load.pipe(
                Effect.withConfigProvider(ConfigProvider.fromMap(map, { pathDelim: "_" })),
                Effect.provide(NodeFileSystem.layer),
              ),
            )
            if (Exit.isSuccess(exit)) return
            expect(Cause.isDie(exit.cause)).toBe(false)
            const failure = Cause.failureOption(exit.cause)
            expect(failure._tag).toBe("Some")
            const error = (failure as { value: ConfigValidationError }).value
            expect(error).toBeInstanceOf(ConfigValidationError)
            expect(error.problems.length).toBeGreaterThan(0)
            for (const problem of error.problems) {
              expect(problem).toMatch(/^(GATHERARR_\S+|TZ): /)
              expect(problem).not.toContain(SECRET)
            }
          }),
          { numRuns: 300 },
        ),
      ),
  )
})
