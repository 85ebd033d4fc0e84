/**
 * One Gatherarr per state file: an exclusive lock beside it, `<state>.lock`, held for the life of
 * the scope. The lock file names its holder (pid, host, since) and is touched every few seconds;
 * a second daemon finds it and does not start. A lock is taken over when its holder is gone: a
 * process on this host that no longer exists, or one anywhere whose lock has not been touched for
 * `STALE` (containers on one shared volume may all be PID 1, so a pid alone proves nothing).
 */
import { hostname } from "node:os"
import * as FileSystem from "@effect/platform/FileSystem"
import * as Clock from "effect/Clock"
import * as Data from "effect/Data"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Schedule from "effect/Schedule"
import type * as Scope from "effect/Scope"
import { readBoundedText, systemReason } from "./BoundedFile.ts"

/** The lock cannot be had: another Gatherarr holds it, or the directory refuses the lock file. */
export class StateLockError extends Data.TaggedError("StateLockError")<{ readonly message: string }> {}

/** How often the holder touches its lock. */
export const HEARTBEAT = Duration.seconds(5)
/** A lock not touched for this long belongs to a Gatherarr that is gone. */
export const STALE = Duration.seconds(20)

interface Holder {
  readonly pid: number
  readonly host: string
  readonly since: string
  readonly token: string
}

/**
 * A random name part, unique across processes and hosts (PID 1 in every container). Math.random,
 * not node:crypto: loading OpenSSL for this would cost a few MB of memory for the process's life.
 */
export const nonce = () =>
  `${Math.floor(Math.random() * 2 ** 48).toString(36)}${Math.floor(Math.random() * 2 ** 48).toString(36)}`

const parseHolder = (text: string): Holder | undefined => {
  try {
    const value = JSON.parse(text) as Partial<Holder>
    return typeof value.pid === "number" && typeof value.host === "string" && typeof value.token === "string"
      ? { pid: value.pid, host: value.host, since: String(value.since ?? "?"), token: value.token }
      : undefined
  } catch {
    return undefined
  }
}

/** Whether a process with this pid exists on this host. */
const processExists = (pid: number) => {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as { code?: string }).code === "EPERM"
  }
}

/** Holds `<file>.lock` for the life of the scope, or fails naming the file and its holder. */
export const holdLock = (
  file: string,
): Effect.Effect<void, StateLockError, FileSystem.FileSystem | Scope.Scope> =>
  Effect.gen(function* () {
    const fs = yield* FileSystem.FileSystem
    const lock = `${file}.lock`
    const me: Holder = {
      pid: process.pid,
      host: hostname(),
      since: new Date(yield* Clock.currentTimeMillis).toISOString(),
      token: nonce(),
    }
    const cannot = (what: string, error: unknown) =>
      new StateLockError({ message: `GATHERARR_STATE_PATH: cannot ${what} ${lock} (${systemReason(error)})` })

    /** Creates the lock with our content in one step: written aside, then hard-linked into place. */
    const create = Effect.gen(function* () {
      const temp = `${lock}.${me.token}`
      yield* fs
        .writeFileString(temp, JSON.stringify(me), { mode: 0o644 })
        .pipe(Effect.mapError((e) => cannot("write", e)))
      const linked = yield* Effect.either(fs.link(temp, lock))
      yield* fs.remove(temp).pipe(Effect.ignore)
      if (linked._tag === "Right") return true
      if ((linked.left as { reason?: string }).reason === "AlreadyExists") return false
      return yield* cannot("create", linked.left)
    }).pipe(Effect.uninterruptible) // never a temp file left by a start-up that is called off

    const readHolder = (path: string) =>
      readBoundedText(path, { limit: 4096 }).pipe(
        Effect.map(parseHolder),
        Effect.orElseSucceed(() => undefined),
      )

    const touchedAt = fs.stat(lock).pipe(
      Effect.map((info) => Option.getOrElse(info.mtime, () => new Date(0)).getTime()),
      Effect.option,
    )

    /**
     * Whether the lock's holder is alive. On this host, a holder with another pid is judged by its
     * pid. Otherwise (another host, or the same pid: PID 1 in containers) its heartbeat decides: a
     * lock touched again is alive; one left untouched for `STALE` is not (waiting for that, if need be).
     */
    const alive = (holder: Holder | undefined): Effect.Effect<boolean> =>
      Effect.gen(function* () {
        if (holder && holder.host === me.host && holder.pid !== me.pid) return processExists(holder.pid)
        const first = yield* touchedAt
        if (Option.isNone(first)) return false
        for (;;) {
          if ((yield* Clock.currentTimeMillis) - first.value >= Duration.toMillis(STALE)) return false
          yield* Effect.sleep(Duration.seconds(1))
          const now = yield* touchedAt
          if (Option.isNone(now)) return false
          if (now.value !== first.value) return true
        }
      })

    for (let attempt = 0; ; attempt++) {
      if (yield* create) break
      const holder = yield* readHolder(lock)
      if (attempt >= 2 || (yield* alive(holder))) {
        return yield* new StateLockError({
          message: holder
            ? `GATHERARR_STATE_PATH: ${file} is in use by another Gatherarr (pid ${holder.pid} on host ${holder.host}, since ${holder.since}; lock ${lock}). Stop it, or give each Gatherarr its own state file; a lock whose holder is gone is taken over ${Duration.format(STALE)} after its last heartbeat`
            : `GATHERARR_STATE_PATH: ${file} is being locked by another Gatherarr (${lock})`,
        })
      }
      // Gone: move its lock aside, and make sure what was moved is the lock that was judged.
      const aside = `${lock}.stale-${me.token}`
      if ((yield* Effect.either(fs.rename(lock, aside)))._tag === "Left") continue
      const moved = yield* readHolder(aside)
      if (holder && moved?.token !== holder.token) {
        // Another Gatherarr took over in between: give its lock back.
        yield* fs.link(aside, lock).pipe(Effect.ignore)
      }
      yield* fs.remove(aside).pipe(Effect.ignore)
      yield* Effect.logWarning("took over the state lock of a Gatherarr that is gone").pipe(
        Effect.annotateLogs({ lock, holder_pid: holder?.pid ?? "?", holder_host: holder?.host ?? "?" }),
      )
    }

    // Touch it while we live; remove it (if still ours) when the scope closes.
    yield* Clock.currentTimeMillis.pipe(
      Effect.flatMap((now) => fs.utimes(lock, new Date(now), new Date(now))),
      Effect.ignore,
      Effect.repeat(Schedule.spaced(HEARTBEAT)),
      Effect.interruptible,
      Effect.forkScoped,
    )
    yield* Effect.addFinalizer(() =>
      Effect.flatMap(readHolder(lock), (holder) =>
        holder?.token === me.token ? fs.remove(lock).pipe(Effect.ignore) : Effect.void,
      ),
    )
  })
