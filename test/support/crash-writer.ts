/**
 * A child process for the crash test: writes the state file through the real file store as fast as
 * it can, printing each `totalRuns` value once its write has returned (reported as persisted).
 *   node crash-writer.js <state path> <first run number>
 */
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as NodePath from "@effect/platform-node/NodePath"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { empty, setItem } from "../../src/State.ts"
import { makeFileStore } from "../../src/StateStore.ts"

const [path = "state.json", first = "1"] = process.argv.slice(2)
const program = Effect.gen(function* () {
  const store = yield* makeFileStore(path)
  let state = empty(Date.now())
  for (let n = Number(first); ; n++) {
    // Growing content, so a torn write would show.
    state = setItem({ ...state, totalRuns: n }, "movies", `movie:${n}`, {
      lastProcessedAt: new Date().toISOString(),
      lastResult: "not_found",
    })
    yield* store.save(state)
    process.stdout.write(`${n}\n`)
  }
})
Effect.runPromise(program.pipe(Effect.provide(Layer.merge(NodeFileSystem.layer, NodePath.layer)))).catch(
  (error) => {
    process.stderr.write(`${error}\n`)
    process.exit(1)
  },
)
