/**
 * The one reader for files the configuration names (API key files, the state file and its
 * journal): regular files only, at most `limit` bytes, within a time limit. A FIFO, a device such
 * as /dev/zero, a socket or a directory is never opened, so nothing blocks or grows without bound.
 */
import * as FileSystem from "@effect/platform/FileSystem"
import * as Data from "effect/Data"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"

export type ReadProblem = "missing" | "not_a_file" | "too_large" | "unreadable" | "timeout"

/** Why a file could not be read; `detail` says it in words, without the file's content. */
export class BoundedReadError extends Data.TaggedError("BoundedReadError")<{
  readonly problem: ReadProblem
  readonly detail: string
}> {}

const KINDS: Partial<Record<FileSystem.File.Type, string>> = {
  Directory: "is a directory",
  CharacterDevice: "is a character device (such as /dev/zero), not a regular file",
  BlockDevice: "is a block device, not a regular file",
  FIFO: "is a FIFO (named pipe), not a regular file",
  Socket: "is a socket, not a regular file",
}
const kind = (type: FileSystem.File.Type) => KINDS[type] ?? "is not a regular file"

const sizeText = (bytes: number) =>
  bytes >= 1024 * 1024 ? `${Math.round(bytes / 1024 / 1024)} MiB` : `${Math.round(bytes / 1024)} KiB`

/** What a platform error means, in words. */
export const systemReason = (error: unknown): string => {
  const e = error as { reason?: string; message?: string; cause?: { code?: string } }
  const code = e.cause?.code
  if (code === "ENOSPC") return "no space left on device"
  if (code === "EROFS") return "read-only file system"
  if (code === "EACCES" || code === "EPERM" || e.reason === "PermissionDenied") return "permission denied"
  if (code === "EISDIR") return "is a directory"
  if (code === "ENOENT" || e.reason === "NotFound") return "no such file"
  return code ?? e.reason ?? e.message ?? String(error)
}

const CHUNK = 64 * 1024
const DEFAULT_TIMEOUT = Duration.seconds(10)

export interface ReadOptions {
  /** The largest file read, in bytes. */
  readonly limit: number
  /** How long reading may take (default 10 s: a stalled network mount). */
  readonly timeout?: Duration.Duration
}

/**
 * The file's bytes. Symbolic links are followed (Docker and Kubernetes secrets are links); what
 * they lead to must be a regular file of at most `limit` bytes.
 */
export const readBounded = (
  path: string,
  options: ReadOptions,
): Effect.Effect<Uint8Array, BoundedReadError, FileSystem.FileSystem> =>
  Effect.gen(function* () {
    const fs = yield* FileSystem.FileSystem
    const fail = (problem: ReadProblem, detail: string) => new BoundedReadError({ problem, detail })
    const tooLarge = fail("too_large", `is larger than ${sizeText(options.limit)}`)
    const unreadable = (error: unknown) => {
      const reason = systemReason(error)
      return reason === "no such file" ? fail("missing", reason) : fail("unreadable", reason)
    }
    const info = yield* fs.stat(path).pipe(Effect.mapError(unreadable))
    if (info.type !== "File") return yield* fail("not_a_file", kind(info.type))
    if (Number(info.size) > options.limit) return yield* tooLarge
    return yield* Effect.scoped(
      Effect.gen(function* () {
        const file = yield* fs.open(path, { flag: "r" }).pipe(Effect.mapError(unreadable))
        // The path may have been replaced since the stat: judge what was opened.
        const opened = yield* file.stat.pipe(Effect.mapError(unreadable))
        if (opened.type !== "File") return yield* fail("not_a_file", kind(opened.type))
        const chunks: Array<Uint8Array> = []
        let size = 0
        for (;;) {
          const chunk = yield* file.readAlloc(CHUNK).pipe(Effect.mapError(unreadable))
          if (Option.isNone(chunk)) break
          size += chunk.value.length
          if (size > options.limit) return yield* tooLarge
          chunks.push(chunk.value)
        }
        return Buffer.concat(chunks, size)
      }),
    )
  }).pipe(
    Effect.timeoutFail({
      duration: options.timeout ?? DEFAULT_TIMEOUT,
      onTimeout: () =>
        new BoundedReadError({
          problem: "timeout",
          detail: `could not be read within ${Duration.format(options.timeout ?? DEFAULT_TIMEOUT)}`,
        }),
    }),
  )

/** The file as UTF-8 text. */
export const readBoundedText = (path: string, options: ReadOptions) =>
  Effect.map(readBounded(path, options), (bytes) => new TextDecoder().decode(bytes))
