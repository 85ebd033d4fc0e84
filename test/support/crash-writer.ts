/**
 * A child process for the crash tests: writes the state through the real file store as fast as it
 * can, printing each number once its write has returned (reported as persisted).
 *   node crash-writer.js <state path> <first number> [journal]
 * Plain: the whole file per write (`totalRuns` is the number). Journal: one journaled item change
 * per write (`movie:<number>`), the file rewritten every 25 changes.
 */
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as NodePath from "@effect/platform-node/NodePath"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { empty, setItem } from "../../src/StateFile.ts"
import { makeFileStore } from "../../src/StateStore.ts"

const [path = "state.json", first = "1", mode = "plain"] = process.argv.slice(2)
const program = Effect.gen(function* () {
  const journal = mode === "journal"
  const store = yield* makeFileStore(path, journal ? { journalFrom: 0, compactAfter: 25 } : {})
  // The only writer of this file, as if it held the lock.
  yield* store.removeLeftovers
  let state = empty(Date.now())
  for (let n = Number(first); ; n++) {
    const key = `movie:${n}`
    const item = { lastProcessedAt: new Date().toISOString(), lastResult: "not_found" as const }
    // Growing content, so a torn write would show.
    state = setItem({ ...state, totalRuns: n }, "movies", key, item)
    yield* journal ? store.saveChange!(state, { item: { target: "movies", key, item } }) : store.save(state)
    process.stdout.write(`${n}\n`)
  }
})
Effect.runPromise(program.pipe(Effect.provide(Layer.merge(NodeFileSystem.layer, NodePath.layer)))).catch(
  (error) => {
    process.stderr.write(`${error}\n`)
    process.exit(1)
  },
)
