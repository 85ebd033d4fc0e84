import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { hostname } from "node:os"
import { join } from "node:path"
import { SystemError } from "@effect/platform/Error"
import * as FileSystem from "@effect/platform/FileSystem"
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as NodePath from "@effect/platform-node/NodePath"
import { describe, expect, it } from "@effect/vitest"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Metric from "effect/Metric"
import * as Option from "effect/Option"
import { GatherarrConfig } from "../../src/Config.ts"
import * as Metrics from "../../src/Metrics.ts"
import { GatherarrMetrics } from "../../src/Metrics.ts"
import { State } from "../../src/State.ts"
import { applyPatch, decode, empty, encode, prune, type StateFile, setItem } from "../../src/StateFile.ts"
import { type FileStoreOptions, makeFileStore, StateStore } from "../../src/StateStore.ts"
import { captureLogs } from "../support/harness.ts"
import { tempDir } from "../support/temp.ts"

const sample = (runs: number): StateFile => ({
  ...setItem(empty(Date.UTC(2026, 0, 1)), "movies", "movie:42", {
    lastProcessedAt: "2026-01-01T00:00:00.000Z",
    lastResult: "grabbed",
    commandId: 7,
  }),
  totalRuns: runs,
})

type Step = "open" | "write" | "fsync" | "rename" | "fsync-dir"

/** The real file system, recording the write protocol's steps and failing at one of them. */
const recordingFs = (steps: Array<string>, failAt?: Step) =>
  Layer.effect(
    FileSystem.FileSystem,
    Effect.gen(function* () {
      const fs = yield* FileSystem.FileSystem
      const fail = (step: Step) =>
        Effect.fail(
          new SystemError({
            reason: "Unknown",
            module: "FileSystem",
            method: step,
            description: `injected ${step} failure`,
          }),
        )
      const step = <A, E, R>(
        name: Step,
        effect: Effect.Effect<A, E, R>,
      ): Effect.Effect<A, E | SystemError, R> =>
        Effect.suspend((): Effect.Effect<A, E | SystemError, R> => {
          steps.push(name)
          return name === failAt ? fail(name) : effect
        })
      return new Proxy(fs, {
        get(target, prop, receiver) {
          if (prop === "rename") return (from: string, to: string) => step("rename", fs.rename(from, to))
          if (prop === "open") {
            return (path: string, options?: FileSystem.OpenFileOptions) => {
              const isDir = options?.flag === "r"
              return (isDir ? fs.open(path, options) : step("open", fs.open(path, options))).pipe(
                Effect.map(
                  (file) =>
                    new Proxy(file, {
                      get(f, p, r) {
                        if (p === "writeAll") return (data: Uint8Array) => step("write", f.writeAll(data))
                        if (p === "sync") return step(isDir ? "fsync-dir" : "fsync", f.sync)
                        return Reflect.get(f, p, r)
                      },
                    }),
                ),
              )
            }
          }
          return Reflect.get(target, prop, receiver)
        },
      })
    }),
  ).pipe(Layer.provide(NodeFileSystem.layer))

/** StateStore.layer on the file, as the daemon builds it: lock first. */
const fileLayer = (path: string) =>
  StateStore.layer.pipe(
    Layer.provide(
      Layer.mergeAll(GatherarrConfig.layerTest({ statePath: path }), NodeFileSystem.layer, NodePath.layer),
    ),
  )

const storeAt = (path: string, fs: Layer.Layer<FileSystem.FileSystem> = NodeFileSystem.layer) =>
  makeFileStore(path).pipe(Effect.provide(Layer.merge(fs, NodePath.layer)))

describe("state file format", () => {
  it("round-trips through encode and decode", () => {
    const state = sample(3)
    expect(decode(encode(state))).toEqual({ _tag: "Ok", state })
  })

  it.each([
    ["{not json", /^not valid JSON/],
    ["[]", /^not a JSON object/],
    ['{"totalRuns":1}', /^no version field/],
    ['{"version":0}', /^unknown version 0/],
    ['{"version":1,"startedAt":"x","totalRuns":"many","searches":[],"targets":{}}', /^wrong shape/],
  ])("%s is corrupt", (text, reason) => {
    const result = decode(text)
    expect(result._tag).toBe("Corrupt")
    expect(result._tag === "Corrupt" && result.reason).toMatch(reason)
  })

  it("a newer version is recognised as such", () => {
    expect(decode('{"version":2}')).toEqual({ _tag: "FutureVersion", version: 2 })
  })
})

describe("pruning", () => {
  const day = 86_400_000
  const now = Date.UTC(2026, 5, 1)
  const at = (daysAgo: number) => new Date(now - daysAgo * day).toISOString()

  it("drops items neither searched nor seen in a wanted list for longer than the cooldown, keeps the rest", () => {
    const target = {
      consecutiveFailures: 0,
      items: {
        "movie:1": { lastProcessedAt: at(1), lastResult: "not_found" as const },
        "movie:2": { lastProcessedAt: at(9), lastResult: "not_found" as const },
        "movie:3": { lastProcessedAt: at(9), lastResult: "grabbed" as const, lastSeenAt: at(2) },
        "movie:4": { lastProcessedAt: at(30), lastResult: "failed" as const, lastSeenAt: at(8) },
      },
    }
    expect(Object.keys(prune(target, now, Duration.days(7)).items)).toEqual(["movie:1", "movie:3"])
    // Nothing to drop: the same object.
    const kept = prune(target, now, Duration.days(60))
    expect(kept).toBe(target)
  })
})

describe("file store", () => {
  it.effect("writes in order: temp file, write, fsync, rename, fsync of the directory", () =>
    Effect.gen(function* () {
      const dir = tempDir("state")
      const steps: Array<string> = []
      const store = yield* storeAt(join(dir, "state.json"), recordingFs(steps))
      yield* store.save(sample(1))
      expect(steps).toEqual(["open", "write", "fsync", "rename", "fsync-dir"])
      expect(readdirSync(dir)).toEqual(["state.json"])
      expect(Option.getOrThrow(yield* store.load)).toEqual(sample(1))
    }),
  )

  it.effect.each(["open", "write", "fsync", "rename"] as const)(
    "a failure at %s leaves the previous file intact and no temp file behind",
    (failAt) =>
      Effect.gen(function* () {
        const dir = tempDir("state")
        const path = join(dir, "state.json")
        yield* (yield* storeAt(path)).save(sample(1))
        const before = readFileSync(path, "utf8")
        const store = yield* storeAt(path, recordingFs([], failAt))
        const error = yield* Effect.flip(store.save(sample(2)))
        expect(error.message).toContain(`cannot write ${path}`)
        expect(readFileSync(path, "utf8")).toBe(before)
        expect(readdirSync(dir)).toEqual(["state.json"])
      }),
  )

  it.effect("missing file: nothing loaded", () =>
    Effect.gen(function* () {
      const store = yield* storeAt(join(tempDir("state"), "state.json"))
      expect(Option.isNone(yield* store.load)).toBe(true)
    }),
  )

  it.effect("a missing directory is a clear start-up error", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(storeAt(join(tempDir("state"), "nope", "state.json")))
      expect(error.message).toMatch(
        /^GATHERARR_STATE_PATH: the directory .*nope does not exist \(create it, or mount a volume there\)$/,
      )
    }),
  )

  it.effect("an unwritable directory is a clear start-up error that says how to fix it", () =>
    Effect.gen(function* () {
      const dir = tempDir("state")
      const failing = Layer.effect(
        FileSystem.FileSystem,
        Effect.map(FileSystem.FileSystem, (fs) => ({
          ...fs,
          writeFileString: () =>
            Effect.fail(
              new SystemError({
                reason: "PermissionDenied",
                module: "FileSystem",
                method: "writeFile",
                description: "EACCES",
              }),
            ),
        })),
      ).pipe(Layer.provide(NodeFileSystem.layer))
      const error = yield* Effect.flip(storeAt(join(dir, "state.json"), failing))
      expect(error.message).toMatch(
        /is not writable \(permission denied\) by uid \d+; fix its owner \(chown\) or run as a user/,
      )
    }),
  )

  it.effect("a state directory that exists but cannot be entered says which permission is missing", () =>
    Effect.gen(function* () {
      const dir = tempDir("state")
      const denied = Layer.effect(
        FileSystem.FileSystem,
        Effect.map(FileSystem.FileSystem, (fs) => ({
          ...fs,
          stat: (path: string) =>
            path === dir
              ? Effect.fail(
                  new SystemError({
                    reason: "PermissionDenied",
                    module: "FileSystem",
                    method: "stat",
                    description: "EACCES",
                  }),
                )
              : fs.stat(path),
        })),
      ).pipe(Layer.provide(NodeFileSystem.layer))
      const error = yield* Effect.flip(storeAt(join(dir, "state.json"), denied))
      expect(error.message).toMatch(
        /^GATHERARR_STATE_PATH: the directory .* cannot be reached \(permission denied\): a directory on the way lacks search \(x\) permission for uid \d+/,
      )
      expect(error.message).not.toContain("does not exist")
    }),
  )

  it.effect("a corrupt file is moved aside (never deleted) and a fresh state starts", () =>
    Effect.gen(function* () {
      const dir = tempDir("state")
      const path = join(dir, "state.json")
      writeFileSync(path, "{ this is not json")
      const logs = captureLogs()
      const loaded = yield* Effect.flatMap(storeAt(path), (s) => s.load).pipe(Effect.provide(logs.layer))
      expect(Option.isNone(loaded)).toBe(true)
      const aside = readdirSync(dir).filter((name) => name.startsWith("state.json.corrupt."))
      expect(aside).toHaveLength(1)
      expect(readFileSync(join(dir, aside[0]!), "utf8")).toBe("{ this is not json")
      expect(existsSync(path)).toBe(false)
      expect(logs.lines).toContainEqual(
        expect.objectContaining({ level: "warn", reason: expect.stringMatching(/^not valid JSON/) }),
      )
    }),
  )

  it.effect("a file from a newer Gatherarr is refused, and left alone", () =>
    Effect.gen(function* () {
      const dir = tempDir("state")
      const path = join(dir, "state.json")
      writeFileSync(path, '{"version":9}')
      const error = yield* Effect.flip(Effect.flatMap(storeAt(path), (s) => s.load))
      expect(error.message).toMatch(/has version 9, newer than this Gatherarr understands \(1\)/)
      expect(readFileSync(path, "utf8")).toBe('{"version":9}')
    }),
  )

  it.effect("a directory where the file should be is a clear error", () =>
    Effect.gen(function* () {
      const dir = tempDir("state")
      mkdirSync(join(dir, "state.json"))
      const error = yield* Effect.flip(Effect.flatMap(storeAt(join(dir, "state.json")), (s) => s.load))
      expect(error.message).toMatch(/is not a regular file/)
    }),
  )

  it.effect("leftover temp files from a crash are removed at start, once the lock is held", () =>
    Effect.gen(function* () {
      const dir = tempDir("state")
      writeFileSync(join(dir, "state.json.tmp-123-4"), "half")
      writeFileSync(join(dir, "other.txt"), "keep")
      yield* Effect.scoped(Layer.build(fileLayer(join(dir, "state.json"))))
      expect(readdirSync(dir).sort()).toEqual(["other.txt"])
    }),
  )

  it.effect("a Gatherarr refused the lock leaves the holder's temp files alone", () =>
    Effect.gen(function* () {
      const dir = tempDir("state")
      // A live holder on this host: the process that started this one.
      writeFileSync(
        join(dir, "state.json.lock"),
        JSON.stringify({
          pid: process.ppid,
          host: hostname(),
          since: "2026-01-01T00:00:00.000Z",
          token: "t",
        }),
      )
      writeFileSync(join(dir, "state.json.tmp-holder-1"), "being written")
      const error = yield* Effect.flip(Effect.scoped(Layer.build(fileLayer(join(dir, "state.json")))))
      expect(error.message).toMatch(/is in use by another Gatherarr/)
      expect(readdirSync(dir).sort()).toEqual(["state.json.lock", "state.json.tmp-holder-1"])
    }),
  )
})

describe("journal (large states)", () => {
  const item = (n: number) => ({
    lastProcessedAt: new Date(Date.UTC(2026, 0, 1, 0, n)).toISOString(),
    lastResult: "grabbed" as const,
  })
  const journaled = (path: string, extra: FileStoreOptions = {}) =>
    makeFileStore(path, { journalFrom: 0, ...extra }).pipe(
      Effect.provide(Layer.merge(NodeFileSystem.layer, NodePath.layer)),
    )

  it.effect("a change is appended to the journal; the next start replays it and compacts", () =>
    Effect.gen(function* () {
      const dir = tempDir("state")
      const path = join(dir, "state.json")
      const store = yield* journaled(path)
      yield* store.save(sample(1))
      const before = readFileSync(path, "utf8")
      const next = setItem(sample(1), "movies", "movie:7", item(7))
      yield* store.saveChange!(next, {
        item: { target: "movies", key: "movie:7", item: item(7) },
        searches: ["2026-01-01T00:07:00.000Z"],
      })
      expect(readFileSync(path, "utf8")).toBe(before)
      expect(readFileSync(`${path}.journal`, "utf8").trim().split("\n")).toHaveLength(1)

      const loaded = Option.getOrThrow(yield* (yield* journaled(path)).load)
      expect(loaded.targets.movies!.items["movie:7"]).toEqual(item(7))
      expect(loaded.targets.movies!.items["movie:42"]).toBeDefined()
      expect(loaded.searches).toEqual(["2026-01-01T00:07:00.000Z"])
      // Compacted: the file holds it all, the journal is gone.
      expect(existsSync(`${path}.journal`)).toBe(false)
      expect(JSON.parse(readFileSync(path, "utf8")).targets.movies.items["movie:7"]).toEqual(item(7))
    }),
  )

  it.effect(
    "a torn last line (a crash while appending) is ignored; a bad line in the middle ends the replay, with a warning",
    () =>
      Effect.gen(function* () {
        const dir = tempDir("state")
        const path = join(dir, "state.json")
        const good = (n: number) =>
          JSON.stringify({ item: { target: "movies", key: `movie:${n}`, item: item(n) } })
        writeFileSync(`${path}.journal`, `${good(1)}\n${good(2)}\n{"item":{"tar`)
        const loaded = Option.getOrThrow(yield* (yield* journaled(path)).load)
        expect(Object.keys(loaded.targets.movies!.items).sort()).toEqual(["movie:1", "movie:2"])

        writeFileSync(`${path}.journal`, `${good(3)}\nnot json\n${good(4)}\n`)
        const logs = captureLogs()
        const again = Option.getOrThrow(
          yield* Effect.flatMap(journaled(path), (s) => s.load).pipe(Effect.provide(logs.layer)),
        )
        expect(Object.keys(again.targets.movies!.items).sort()).toEqual(["movie:1", "movie:2", "movie:3"])
        expect(logs.lines).toContainEqual(
          expect.objectContaining({
            level: "warn",
            message: "state journal is corrupt; ignoring the rest of it",
            line: 2,
          }),
        )
        // The damaged journal is kept aside, never deleted.
        const aside = readdirSync(dir).filter((name) => name.startsWith("state.json.journal.corrupt."))
        expect(aside).toHaveLength(1)
        expect(readFileSync(join(dir, aside[0]!), "utf8")).toContain("not json")
      }),
  )

  it.effect("after compactAfter entries, or below journalFrom items, a change rewrites the file", () =>
    Effect.gen(function* () {
      const dir = tempDir("state")
      const path = join(dir, "state.json")
      const store = yield* journaled(path, { compactAfter: 2 })
      let state = sample(1)
      for (let n = 1; n <= 3; n++) {
        state = setItem(state, "movies", `movie:${n}`, item(n))
        yield* store.saveChange!(state, { item: { target: "movies", key: `movie:${n}`, item: item(n) } })
      }
      expect(existsSync(`${path}.journal`)).toBe(false)
      expect(Object.keys(JSON.parse(readFileSync(path, "utf8")).targets.movies.items)).toHaveLength(4)

      const small = yield* journaled(join(dir, "small.json"), { journalFrom: 100 })
      yield* small.saveChange!(state, { item: { target: "movies", key: "movie:1", item: item(1) } })
      expect(existsSync(join(dir, "small.json.journal"))).toBe(false)
      expect(existsSync(join(dir, "small.json"))).toBe(true)
    }),
  )

  it("replaying never loses a search: the lists are merged", () => {
    const state = { ...sample(1), searches: ["2026-01-01T00:02:00.000Z"] }
    const replayed = applyPatch(
      applyPatch(state, { searches: ["2026-01-01T00:01:00.000Z", "2026-01-01T00:02:00.000Z"] }),
      {
        searches: ["2026-01-01T00:01:00.000Z"],
      },
    )
    expect(replayed.searches).toEqual(["2026-01-01T00:01:00.000Z", "2026-01-01T00:02:00.000Z"])
  })
})

describe("State service", () => {
  const layerAt = (path: string, fs: Layer.Layer<FileSystem.FileSystem> = NodeFileSystem.layer) =>
    State.Default.pipe(
      Layer.provide(Layer.merge(StateStore.layer, GatherarrMetrics.layer)),
      Layer.provide(Layer.mergeAll(GatherarrConfig.layerTest({ statePath: path }), fs, NodePath.layer)),
    )

  it.effect("recovers the saved state after a restart", () =>
    Effect.gen(function* () {
      const path = join(tempDir("state"), "state.json")
      yield* Effect.flatMap(State, (s) => s.update(() => sample(5))).pipe(Effect.provide(layerAt(path)))
      const recovered = yield* Effect.flatMap(State, (s) =>
        Effect.map(s.get, (state) => [s.recovered, state] as const),
      ).pipe(Effect.provide(layerAt(path)))
      expect(recovered[0]).toBe(true)
      expect(recovered[1].totalRuns).toBe(5)
      expect(recovered[1].targets).toEqual(sample(5).targets)
    }),
  )

  it.effect(
    "a failed write is logged, counted and retried at the next write; memory stays authoritative",
    () =>
      Effect.gen(function* () {
        const dir = tempDir("state")
        const path = join(dir, "state.json")
        let broken = true
        const flaky = Layer.effect(
          FileSystem.FileSystem,
          Effect.map(FileSystem.FileSystem, (fs) => ({
            ...fs,
            rename: (from: string, to: string) =>
              broken
                ? Effect.fail(
                    new SystemError({
                      reason: "Unknown",
                      module: "FileSystem",
                      method: "rename",
                      description: "ENOSPC",
                    }),
                  )
                : fs.rename(from, to),
          })),
        ).pipe(Layer.provide(NodeFileSystem.layer))
        const logs = captureLogs()
        const before = (yield* Metric.value(Metrics.stateWriteFailures)).count
        yield* Effect.gen(function* () {
          const state = yield* State
          yield* state.update((s) => ({ ...s, totalRuns: 1 }))
          expect(yield* state.dirty).toBe(true)
          expect((yield* state.get).totalRuns).toBe(1)
          expect(existsSync(path)).toBe(false)
          broken = false
          yield* state.update((s) => ({ ...s, totalRuns: 2 }))
          expect(yield* state.dirty).toBe(false)
          expect(JSON.parse(readFileSync(path, "utf8")).totalRuns).toBe(2)
        }).pipe(Effect.provide(layerAt(path, flaky)), Effect.provide(logs.layer))
        expect((yield* Metric.value(Metrics.stateWriteFailures)).count - before).toBe(1)
        expect(logs.lines).toContainEqual(
          expect.objectContaining({ level: "warn", reason: expect.stringContaining("cannot write") }),
        )
        rmSync(dir, { recursive: true })
      }),
  )

  it.effect("the memory adapter keeps what was saved", () =>
    Effect.gen(function* () {
      const store = yield* StateStore
      expect(Option.isNone(yield* store.load)).toBe(true)
      yield* store.save(sample(2))
      expect(Option.getOrThrow(yield* store.load).totalRuns).toBe(2)
    }).pipe(Effect.provide(StateStore.layerMemory())),
  )
})
