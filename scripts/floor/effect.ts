/**
 * Benchmark floor (`npm run bench`): the smallest Effect program that answers HTTP. Effect's
 * runtime forks one fiber that starts a plain node:http server; no platform, Schema, Config or
 * Layer. Bundled and started exactly like Gatherarr (launcher, code cache), so the difference
 * between this and bare Node is what Effect itself costs at start-up.
 */
import { createServer } from "node:http"
import * as Effect from "effect/Effect"

Effect.runFork(
  Effect.async<void>((resume) => {
    createServer((_request, response) => response.end("OK")).listen(
      Number(process.env.PORT),
      "127.0.0.1",
      () => resume(Effect.void),
    )
  }),
)
const launch = (globalThis as { __gatherarrLaunch?: { started: boolean } }).__gatherarrLaunch
if (launch) launch.started = true
process.on("SIGTERM", () => process.exit(0))
