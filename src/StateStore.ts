/**
 * The persistence port for Gatherarr's state, with a file adapter (atomic writes, corrupt files
 * quarantined, crash leftovers cleaned) and an in-memory adapter. A host may provide its own.
 */
import * as FileSystem from "@effect/platform/FileSystem"
import * as Path from "@effect/platform/Path"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Ref from "effect/Ref"
import { readBoundedText, systemReason } from "./BoundedFile.ts"
import { GatherarrConfig } from "./Config.ts"
import {
  applyPatch,
  CURRENT_VERSION,
  decode,
  decodePatch,
  empty,
  encode,
  itemCount,
  type Patch,
  type StateFile,
} from "./StateFile.ts"
import { holdLock, nonce } from "./StateLock.ts"

/** The state cannot be loaded, or its location cannot be used: Gatherarr does not start. */
export class StateLoadError extends Data.TaggedError("StateLoadError")<{ readonly message: string }> {}

/** One write failed; the in-memory state stays authoritative and the next write retries. */
export class StateWriteError extends Data.TaggedError("StateWriteError")<{
  readonly message: string
  readonly cause?: unknown
}> {}

export interface StateStoreShape {
  /** The saved state, or none when nothing was saved yet. */
  readonly load: Effect.Effect<Option.Option<StateFile>, StateLoadError>
  readonly save: (state: StateFile) => Effect.Effect<void, StateWriteError>
  /**
   * Optional: persists one small change of `state`, described by `patch`. A store may record just
   * the patch (the file store journals it when the state is large) or save the whole state.
   */
  readonly saveChange?: (state: StateFile, patch: Patch) => Effect.Effect<void, StateWriteError>
}

/** The largest state file (or journal) read: 100,000 items take about 15 MB. */
export const MAX_STATE_BYTES = 256 * 1024 * 1024

/** The path a chain of symbolic links ends at (the path itself when it is none; it may not exist). */
const resolveLinks = (fs: FileSystem.FileSystem, path: Path.Path, start: string) =>
  Effect.gen(function* () {
    let current = start
    for (let hops = 0; hops < 40; hops++) {
      const target = yield* fs.readLink(current).pipe(Effect.option)
      if (Option.isNone(target)) return current
      current = path.resolve(path.dirname(current), target.value)
    }
    return yield* new StateLoadError({
      message: `GATHERARR_STATE_PATH: ${start} is a loop of symbolic links`,
    })
  })

/** Which permission the process lacks on a directory it must enter and write, by its mode bits. */
const missingPermission = (info: FileSystem.File.Info) => {
  const uid = process.getuid?.()
  const groups = process.getgroups?.() ?? []
  if (uid === undefined || uid === 0) return undefined
  const owner = Option.getOrUndefined(info.uid)
  const group = Option.getOrUndefined(info.gid)
  const bits =
    owner === uid
      ? (info.mode >> 6) & 7
      : group !== undefined && groups.includes(group)
        ? (info.mode >> 3) & 7
        : info.mode & 7
  const lacks = [(bits & 2) === 0 ? "write (w)" : "", (bits & 1) === 0 ? "search (x)" : ""].filter(
    (p) => p !== "",
  )
  return lacks.length === 0 ? undefined : `${lacks.join(" and ")} permission`
}

/** Atomic writes, in this order: temp file in the same directory, write, fsync, rename, fsync dir. */
export interface FileStoreOptions {
  /** From this many items on, a single change is journaled instead of rewriting the file. */
  readonly journalFrom?: number
  /** Journal entries after which the next change rewrites the file (and empties the journal). */
  readonly compactAfter?: number
}

/**
 * Large states are journaled: `<file>.journal` holds one JSON patch per line, appended and fsynced
 * per change; the whole file is rewritten (and the journal removed) at the end of every run, after
 * `compactAfter` entries, and at start-up after replaying it. A torn last line (a crash while
 * appending) was never reported as persisted and is ignored.
 */
export const makeFileStore = (statePath: string, options: FileStoreOptions = {}) =>
  Effect.gen(function* () {
    const fs = yield* FileSystem.FileSystem
    const path = yield* Path.Path
    // Through a symbolic link (state kept on another volume): the file written is the link's target,
    // its temp files beside it, so the link stays and the real file is updated.
    const file = yield* resolveLinks(fs, path, path.resolve(statePath))
    const dir = path.dirname(file)
    const base = path.basename(file)
    const id = nonce()
    let counter = 0
    const readText = (at: string) =>
      readBoundedText(at, { limit: MAX_STATE_BYTES }).pipe(Effect.provideService(FileSystem.FileSystem, fs))

    // The directory must exist, be enterable and writable: this is how a missing volume is caught.
    const uid = process.getuid?.() ?? "?"
    const fix =
      "fix its owner (chown) or run as a user that may write there (--user), or fix its mode (chmod)"
    const dirInfo = yield* fs.stat(dir).pipe(Effect.either)
    if (dirInfo._tag === "Left") {
      const reason = systemReason(dirInfo.left)
      return yield* new StateLoadError({
        message:
          reason === "no such file"
            ? `GATHERARR_STATE_PATH: the directory ${dir} does not exist (create it, or mount a volume there)`
            : `GATHERARR_STATE_PATH: the directory ${dir} cannot be reached (${reason}): a directory on the way lacks search (x) permission for uid ${uid}; ${fix}`,
      })
    }
    if (dirInfo.right.type !== "Directory") {
      return yield* new StateLoadError({ message: `GATHERARR_STATE_PATH: ${dir} is not a directory` })
    }
    const probe = path.join(dir, `.${base}.probe-${id}`)
    yield* fs.writeFileString(probe, "").pipe(
      Effect.zipRight(fs.remove(probe)),
      Effect.mapError((error) => {
        const missing = missingPermission(dirInfo.right)
        return new StateLoadError({
          message: `GATHERARR_STATE_PATH: the directory ${dir} is not writable (${systemReason(error)}${missing ? `: it lacks ${missing}` : ""}) by uid ${uid}; ${fix}`,
        })
      }),
    )
    /**
     * Removes the temp files a crash left. Only once the file is ours (its lock held): the temp
     * files of a Gatherarr that is running are not leftovers.
     */
    const removeLeftovers = Effect.gen(function* () {
      const leftovers = (yield* fs
        .readDirectory(dir)
        .pipe(Effect.orElseSucceed(() => [] as Array<string>))).filter((name) =>
        name.startsWith(`${base}.tmp-`),
      )
      for (const name of leftovers) {
        yield* fs.remove(path.join(dir, name)).pipe(Effect.ignore)
      }
      if (leftovers.length > 0) {
        yield* Effect.logDebug("removed leftover temp files").pipe(Effect.annotateLogs({ files: leftovers }))
      }
    })

    const quarantine = (reason: string) =>
      Effect.gen(function* () {
        const stamp = new Date(yield* Clock.currentTimeMillis).toISOString().replace(/[:.]/g, "-")
        const aside = `${file}.corrupt.${stamp}`
        yield* fs.rename(file, aside).pipe(
          Effect.mapError(
            (error) =>
              new StateLoadError({
                message: `GATHERARR_STATE_PATH: ${file} is corrupt (${reason}) and cannot be moved aside (${systemReason(error)})`,
              }),
          ),
        )
        yield* Effect.logWarning(
          "state file is corrupt; moved it aside and starting with a fresh state",
        ).pipe(Effect.annotateLogs({ reason, moved_to: aside }))
        return Option.none<StateFile>()
      })

    const journal = `${file}.journal`
    const journalFrom = options.journalFrom ?? 5_000
    const compactAfter = options.compactAfter ?? 1_000
    let journaled = 0
    // Items at the last full write: counting 100,000 keys per change would cost more than the journal saves.
    let itemsWritten = 0

    const loadSnapshot = Effect.gen(function* () {
      const info = yield* fs.stat(file).pipe(Effect.option)
      if (Option.isNone(info)) return Option.none<StateFile>()
      if (info.value.type !== "File") {
        return yield* new StateLoadError({ message: `GATHERARR_STATE_PATH: ${file} is not a regular file` })
      }
      const text = yield* readText(file).pipe(
        Effect.mapError(
          (error) =>
            new StateLoadError({ message: `GATHERARR_STATE_PATH: cannot read ${file}: it ${error.detail}` }),
        ),
      )
      const result = decode(text)
      switch (result._tag) {
        case "Ok":
          return Option.some(result.state)
        case "FutureVersion":
          return yield* new StateLoadError({
            message: `GATHERARR_STATE_PATH: ${file} has version ${result.version}, newer than this Gatherarr understands (${CURRENT_VERSION}); upgrade Gatherarr or move the file away`,
          })
        case "Corrupt":
          return yield* quarantine(result.reason)
      }
    })

    /** The snapshot with the journal replayed onto it; a replayed journal is compacted at once. */
    const load = Effect.gen(function* () {
      const snapshot = yield* loadSnapshot
      itemsWritten = Option.match(snapshot, { onNone: () => 0, onSome: itemCount })
      const text = yield* readText(journal).pipe(
        Effect.catchTag("BoundedReadError", (error) =>
          error.problem === "missing"
            ? Effect.succeed("")
            : Effect.fail(
                new StateLoadError({
                  message: `GATHERARR_STATE_PATH: cannot read ${journal}: it ${error.detail}`,
                }),
              ),
        ),
      )
      if (text === "") return snapshot
      const lines = text.split("\n").filter((line) => line.trim() !== "")
      const now = yield* Clock.currentTimeMillis
      let state = Option.getOrElse(snapshot, () => empty(now))
      for (const [index, line] of lines.entries()) {
        const patch = decodePatch(line)
        if (Option.isNone(patch)) {
          if (index < lines.length - 1) {
            // Not a torn append but damage: keep the journal aside, as a corrupt file is.
            const aside = `${journal}.corrupt.${new Date(now).toISOString().replace(/[:.]/g, "-")}`
            yield* fs.rename(journal, aside).pipe(Effect.ignore)
            yield* Effect.logWarning("state journal is corrupt; ignoring the rest of it").pipe(
              Effect.annotateLogs({ line: index + 1, of: lines.length, moved_to: aside }),
            )
          }
          break
        }
        state = applyPatch(state, patch.value)
      }
      yield* save(state).pipe(
        Effect.mapError((error) => new StateLoadError({ message: `GATHERARR_STATE_PATH: ${error.message}` })),
      )
      return Option.some(state)
    })

    const save = (state: StateFile): Effect.Effect<void, StateWriteError> => {
      const temp = path.join(dir, `${base}.tmp-${id}-${counter++}`)
      const data = new TextEncoder().encode(encode(state))
      const write = Effect.scoped(
        Effect.gen(function* () {
          const handle = yield* fs.open(temp, { flag: "w", mode: 0o600 })
          yield* handle.writeAll(data)
          yield* handle.sync
        }),
      ).pipe(
        Effect.zipRight(fs.rename(temp, file)),
        Effect.zipRight(
          // fsync the directory so the rename itself is durable (not supported everywhere).
          Effect.scoped(Effect.flatMap(fs.open(dir, { flag: "r" }), (handle) => handle.sync)).pipe(
            Effect.ignore,
          ),
        ),
        // The file now holds everything the journal did.
        Effect.zipRight(
          fs
            .remove(journal)
            .pipe(
              Effect.catchTag("SystemError", (e) => (e.reason === "NotFound" ? Effect.void : Effect.fail(e))),
            ),
        ),
        Effect.tap(() => {
          journaled = 0
          itemsWritten = itemCount(state)
        }),
        Effect.tapError(() => fs.remove(temp).pipe(Effect.ignore)),
        Effect.mapError(
          (error) =>
            new StateWriteError({ message: `cannot write ${file}: ${systemReason(error)}`, cause: error }),
        ),
      )
      // Only the write itself is uninterruptible.
      return Effect.uninterruptible(write)
    }

    const append = (patch: Patch) =>
      Effect.scoped(
        Effect.gen(function* () {
          const handle = yield* fs.open(journal, { flag: "a", mode: 0o600 })
          yield* handle.writeAll(new TextEncoder().encode(`${JSON.stringify(patch)}\n`))
          yield* handle.sync
        }),
      ).pipe(
        Effect.tap(() => {
          journaled++
        }),
        Effect.mapError(
          (error) =>
            new StateWriteError({ message: `cannot write ${journal}: ${systemReason(error)}`, cause: error }),
        ),
        Effect.uninterruptible,
      )

    const saveChange = (state: StateFile, patch: Patch) =>
      journaled < compactAfter && itemsWritten >= journalFrom ? append(patch) : save(state)

    return { file, removeLeftovers, load, save, saveChange } satisfies StateStoreShape & {
      readonly file: string
      readonly removeLeftovers: Effect.Effect<void>
    }
  })

export class StateStore extends Context.Tag("gatherarr/StateStore")<StateStore, StateStoreShape>() {
  /**
   * The file at `GATHERARR_STATE_PATH`, locked for the life of the layer (`<file>.lock`): a second
   * Gatherarr on the same file does not start.
   */
  static readonly layer: Layer.Layer<
    StateStore,
    StateLoadError,
    GatherarrConfig | FileSystem.FileSystem | Path.Path
  > = Layer.scoped(
    StateStore,
    Effect.gen(function* () {
      const config = yield* GatherarrConfig
      const store = yield* makeFileStore(config.statePath)
      yield* holdLock(store.file).pipe(
        Effect.mapError((error) => new StateLoadError({ message: error.message })),
      )
      yield* store.removeLeftovers
      return store
    }),
  )

  /** In memory only: nothing survives the process. Optionally seeded. */
  static readonly layerMemory = (initial?: StateFile): Layer.Layer<StateStore> =>
    Layer.effect(
      StateStore,
      Effect.map(Ref.make(Option.fromNullable(initial)), (ref) => ({
        load: Ref.get(ref),
        save: (state: StateFile) => Ref.set(ref, Option.some(state)),
      })),
    )
}
