/**
 * The standalone daemon: configuration from the environment, the state file, the JSON logger,
 * Prometheus on /metrics, /health, and the scheduler. Only wiring lives here.
 */
import { createServer } from "node:http"
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import * as NodePath from "@effect/platform-node/NodePath"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as Cause from "effect/Cause"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as RuntimeFlags from "effect/RuntimeFlags"
import * as RuntimeFlagsPatch from "effect/RuntimeFlagsPatch"
import { type GatherarrSettings, load } from "./Config.ts"
import * as HttpServer from "./HttpServer.ts"
import { GatherarrConfig, GatherarrCore, GatherarrMetrics, StateStore } from "./index.ts"
import * as Logger from "./Logger.ts"
import * as Prometheus from "./Prometheus.ts"

const Platform = Layer.mergeAll(NodeFileSystem.layer, NodePath.layer)

/**
 * The Node server, bound before the scheduler starts (if the port cannot be had, no search is
 * sent). Until Gatherarr's routes are attached, and after they are detached at shutdown, it answers
 * 503 itself, so no request ever hangs.
 */
const makeServer = () => {
  const server = createServer()
  server.on("request", (_request, response) => {
    if (server.listenerCount("request") === 1) {
      response.writeHead(503, { "content-type": "text/plain" })
      response.end("unhealthy: starting or stopping")
    }
  })
  return server
}

const app = (settings: GatherarrSettings) =>
  HttpServer.layer.pipe(
    Layer.provideMerge(GatherarrCore),
    Layer.provideMerge(
      NodeHttpServer.layer(makeServer, { host: settings.httpHost, port: settings.httpPort }),
    ),
    Layer.provide(Prometheus.layer),
    Layer.provide(Layer.merge(StateStore.layer, GatherarrMetrics.layer)),
    Layer.provide(Layer.mergeAll(GatherarrConfig.layerFrom(settings), NodeHttpClient.layer, Platform)),
  )

const errorText = (cause: Cause.Cause<unknown>, settings: GatherarrSettings) => {
  const error = Cause.squash(cause) as { message?: string; _tag?: string; cause?: { message?: string } }
  if (error?._tag === "ServeError") {
    return `GATHERARR_HTTP_HOST/GATHERARR_HTTP_PORT: cannot listen on ${settings.httpHost}:${settings.httpPort} (${error.cause?.message ?? "unknown reason"})`
  }
  return error?.message || error?._tag || String(error)
}

/** Set by the launcher (src/launch.ts), absent when the bundle is run some other way. */
const launch = (globalThis as { __gatherarrLaunch?: { started: boolean; codeCache: string } })
  .__gatherarrLaunch

const EXIT_CONFIG = 2
const EXIT_STARTUP = 1

const program = Effect.gen(function* () {
  const settings = yield* load.pipe(Effect.provide(Platform))
  // A hard deadline for shutdown, should anything hang past the graceful path.
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    process.once(signal, () => {
      setTimeout(() => process.exit(0), Duration.toMillis(settings.shutdownTimeout)).unref()
    })
  }
  const daemon = Effect.zipRight(
    Effect.logDebug("starting").pipe(
      Effect.annotateLogs({
        node: process.version,
        code_cache: launch?.codeCache ?? "absent",
        uptime_ms: Math.round(performance.now()),
      }),
    ),
    Layer.launch(app(settings)).pipe(
      Effect.tapErrorCause((cause) =>
        Cause.isInterruptedOnly(cause)
          ? Effect.void
          : Effect.logError("Gatherarr cannot start").pipe(
              Effect.annotateLogs({ error: errorText(cause, settings) }),
            ),
      ),
    ),
  )
  return yield* daemon.pipe(Effect.provide(Logger.layer(settings.logLevel)))
}).pipe(
  Effect.catchTag("ConfigValidationError", (error) =>
    Effect.zipRight(
      Effect.sync(() =>
        process.stderr.write(`gatherarr: invalid configuration\n${error.problems.join("\n")}\n`),
      ),
      Effect.fail(EXIT_CONFIG),
    ),
  ),
)

// Effect's own fiber metrics are off: they cost CPU on every fiber and tell users nothing.
// runMain installs the runtime's SIGTERM/SIGINT handlers (interrupt, then graceful shutdown).
NodeRuntime.runMain(
  program.pipe(Effect.withRuntimeFlagsPatch(RuntimeFlagsPatch.disable(RuntimeFlags.RuntimeMetrics))),
  {
    disablePrettyLogger: true,
    disableErrorReporting: true,
    teardown: (exit, onExit) => {
      if (Exit.isSuccess(exit) || Cause.isInterruptedOnly(exit.cause)) return onExit(0)
      const failure = Cause.failureOption(exit.cause)
      onExit(failure._tag === "Some" && failure.value === EXIT_CONFIG ? EXIT_CONFIG : EXIT_STARTUP)
    },
  },
)
// From here on, signals are the runtime's: the launcher's early handler (src/launch.ts) stands down.
if (launch) launch.started = true
