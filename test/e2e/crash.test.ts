import { spawn } from "node:child_process"
import { existsSync, readdirSync, readFileSync } from "node:fs"
import { join } from "node:path"
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as NodePath from "@effect/platform-node/NodePath"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import { build } from "esbuild"
import { beforeAll, describe, expect, it } from "vitest"
import { decode } from "../../src/StateFile.ts"
import { makeFileStore } from "../../src/StateStore.ts"
import { tempDir } from "../support/temp.ts"

const KILLS = 200
let writer: string

beforeAll(async () => {
  const dir = tempDir("crash-bin")
  writer = join(dir, "crash-writer.mjs")
  await build({
    entryPoints: [join(import.meta.dirname, "..", "support", "crash-writer.ts")],
    bundle: true,
    platform: "node",
    format: "esm",
    outfile: writer,
    logLevel: "warning",
    banner: {
      js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
    },
  })
})

/** Runs the writer until it has reported `reports` writes (plus a random few microseconds), then SIGKILLs it. */
const killAfter = (path: string, first: number, reports: number, mode = "plain") =>
  new Promise<number>((resolve, reject) => {
    const child = spawn(process.execPath, [writer, path, String(first), mode], {
      stdio: ["ignore", "pipe", "pipe"],
    })
    let last = first - 1
    let seen = 0
    let buffer = ""
    let stderr = ""
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk))
    child.stdout.on("data", (chunk: Buffer) => {
      buffer += chunk.toString()
      const lines = buffer.split("\n")
      buffer = lines.pop() ?? ""
      for (const line of lines) {
        last = Number(line)
        seen++
      }
      if (seen >= reports && !child.killed) setTimeout(() => child.kill("SIGKILL"), Math.random() * 3)
    })
    child.on("exit", (_code, signal) =>
      signal === "SIGKILL" ? resolve(last) : reject(new Error(`writer exited by itself: ${stderr}`)),
    )
  })

describe("crash consistency", () => {
  it(`SIGKILL in the middle of writes, ${KILLS} times: the file always loads and keeps every reported write`, async () => {
    const dir = tempDir("crash")
    const path = join(dir, "state.json")
    let persisted = 0
    for (let i = 0; i < KILLS; i++) {
      persisted = await killAfter(path, persisted + 1, 1 + Math.floor(Math.random() * 8))
      const result = decode(readFileSync(path, "utf8"))
      if (result._tag !== "Ok")
        throw new Error(`kill ${i}: the state file does not load: ${JSON.stringify(result)}`)
      // Never loses an outcome that was reported as persisted (it may hold one more, unreported).
      expect(result.state.totalRuns).toBeGreaterThanOrEqual(persisted)
      expect(result.state.targets.movies!.items[`movie:${persisted}`]).toBeDefined()
      persisted = result.state.totalRuns
    }
    // Temp files a kill left behind are cleaned at the next start, so there are at most a few.
    expect(readdirSync(dir).filter((n) => n.includes(".tmp-")).length).toBeLessThanOrEqual(1)
  }, 180_000)

  it(`journaled changes (large states): ${KILLS / 2} kills, the state always loads and holds every reported change`, async () => {
    const dir = tempDir("crash-journal")
    const path = join(dir, "state.json")
    const load = () =>
      Effect.runPromise(
        Effect.flatMap(makeFileStore(path, { journalFrom: 0 }), (store) => store.load).pipe(
          Effect.provide(Layer.merge(NodeFileSystem.layer, NodePath.layer)),
        ),
      )
    let next = 1
    let journals = 0
    for (let i = 0; i < KILLS / 2; i++) {
      const first = next
      const last = await killAfter(path, first, 1 + Math.floor(Math.random() * 40), "journal")
      if (existsSync(`${path}.journal`)) journals++
      // Loading replays the journal (and compacts it), through the real file store.
      const state = Option.getOrThrow(await load())
      const items = state.targets.movies!.items
      for (let n = first; n <= last; n++)
        expect(items[`movie:${n}`], `kill ${i}: movie:${n} was reported persisted`).toBeDefined()
      next = last + 2
    }
    // The kills did land while changes were journaled.
    expect(journals).toBeGreaterThan(KILLS / 4)
  }, 180_000)
})
