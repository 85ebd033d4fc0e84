import * as Duration from "effect/Duration"
import { describe, expect, it } from "vitest"
import * as Dict from "../../src/Dict.ts"
import {
  applyPatch,
  decode,
  empty,
  encode,
  markSeen,
  prune,
  setItem,
  targetOf,
  updateTarget,
} from "../../src/StateFile.ts"

const NOW = Date.UTC(2026, 0, 1)
const item = { lastProcessedAt: "2026-01-01T00:00:00.000Z", lastResult: "grabbed" as const }

/** Every name of Object.prototype (`__proto__` among them), and those the target name rule admits. */
const PROTO_NAMES = Object.getOwnPropertyNames(Object.prototype)
const ADMITTED = PROTO_NAMES.filter((name) => /^[a-z][a-z0-9_]{0,31}$/.test(name))

describe("names and keys never reach a prototype", () => {
  it("the target name rule admits exactly `constructor` of Object.prototype's names", () => {
    expect(ADMITTED).toEqual(["constructor"])
  })

  it.each(PROTO_NAMES)(
    "a target or item named %j is a key like any other, through changes, a file and a journal",
    (name) => {
      const fresh = empty(NOW)
      // Before it exists, nothing is found under the name.
      expect(targetOf(fresh, name)).toEqual({ consecutiveFailures: 0, items: {} })
      expect(Dict.get(targetOf(fresh, "movies").items, name)).toBeUndefined()
      let state = setItem(fresh, name, name, item)
      state = setItem(state, "movies", name, item)
      state = updateTarget(state, name, (t) => ({ ...t, lastStatus: "failure", consecutiveFailures: 1 }))
      expect(Object.getPrototypeOf({})).toBe(Object.prototype)
      expect(Object.hasOwn(Object.prototype, "lastStatus")).toBe(false)
      const decoded = decode(encode(state))
      if (decoded._tag !== "Ok") throw new Error(decoded._tag)
      // `__proto__` is no name Gatherarr writes: a file that holds it loads without it (below).
      for (const loaded of name === "__proto__" ? [state] : [state, decoded.state]) {
        expect(Object.keys(loaded.targets).sort()).toEqual([name, "movies"].sort())
        expect(targetOf(loaded, name)).toMatchObject({ consecutiveFailures: 1, lastStatus: "failure" })
        expect(Dict.get(targetOf(loaded, name).items, name)).toEqual(item)
        expect(Dict.get(targetOf(loaded, "movies").items, name)).toEqual(item)
      }
      const replayed = applyPatch(fresh, { item: { target: name, key: name, item } })
      expect(Dict.get(targetOf(replayed, name).items, name)).toEqual(item)
    },
  )

  it("a state file holding `__proto__` keys loads without them and without a changed prototype", () => {
    const text = `{"version":1,"startedAt":"x","totalRuns":3,"searches":[],"targets":{"__proto__":{"consecutiveFailures":0,"items":{}},"items":{"consecutiveFailures":0,"items":{"__proto__":{"lastProcessedAt":"x","lastResult":"grabbed"},"movie:1":{"lastProcessedAt":"x","lastResult":"failed"}}}}}`
    const decoded = decode(text)
    if (decoded._tag !== "Ok") throw new Error(decoded._tag)
    expect(Object.keys(decoded.state.targets)).toEqual(["items"])
    expect(Object.getPrototypeOf(decoded.state.targets)).toBeNull()
    expect(Object.keys(targetOf(decoded.state, "items").items)).toEqual(["movie:1"])
    expect(targetOf(decoded.state, "consecutiveFailures")).toEqual({ consecutiveFailures: 0, items: {} })
  })
})

describe("state transitions", () => {
  it("a new target's items are its own: a change to one state's never shows in another's", () => {
    const a = updateTarget(empty(NOW), "movies", (t) => ({ ...t, consecutiveFailures: 1 }))
    setItem(a, "movies", "movie:1", item)
    expect(targetOf(empty(NOW), "movies").items).toEqual({})
    expect(
      targetOf(
        updateTarget(empty(NOW), "movies", (t) => t),
        "movies",
      ).items,
    ).toEqual({})
  })

  it("marks tracked items as seen, and pruning keeps what was seen within the cooldown", () => {
    const old = { lastProcessedAt: "2025-01-01T00:00:00.000Z", lastResult: "not_found" as const }
    let state = setItem(setItem(empty(NOW), "movies", "movie:1", old), "movies", "movie:2", old)
    state = markSeen(state, "movies", ["movie:1", "movie:3"], new Date(NOW).toISOString())
    const pruned = prune(targetOf(state, "movies"), NOW, Duration.days(1))
    expect(Object.keys(pruned.items)).toEqual(["movie:1"])
    expect(Object.getPrototypeOf(pruned.items)).toBeNull()
  })

  it("a corrupt file says which field is wrong, briefly, however large it is", () => {
    const items = Object.fromEntries(
      Array.from({ length: 50_000 }, (_, i) => [
        `movie:${i}`,
        { lastProcessedAt: "x", lastResult: "grabbed" },
      ]),
    )
    items["movie:49999"] = { lastProcessedAt: "x", lastResult: "maybe" } as never
    const text = JSON.stringify({
      version: 1,
      startedAt: "x",
      totalRuns: 1,
      searches: [],
      targets: { m: { consecutiveFailures: 0, items } },
    })
    const decoded = decode(text)
    expect(decoded).toEqual({
      _tag: "Corrupt",
      reason: expect.stringMatching(
        /^wrong shape: targets\.m\.items\["movie:49999"\]\.lastResult: expected "grabbed" \| .*, got "maybe"$/,
      ),
    })
    expect(decoded._tag === "Corrupt" && decoded.reason.length).toBeLessThan(400)
  })
})
