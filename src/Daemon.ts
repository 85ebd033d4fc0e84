/**
 * The standalone daemon's process: configuration from the environment (exit 2 when invalid), the
 * JSON logger, the guarded HTTP server, start-up errors (exit 1), and the one path stop signals
 * take (Signals.ts): interrupt the program, whose scopes close in order, within
 * GATHERARR_SHUTDOWN_TIMEOUT.
 */
import { createServer } from "node:http"
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import * as NodePath from "@effect/platform-node/NodePath"
import * as Cause from "effect/Cause"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as RuntimeFlags from "effect/RuntimeFlags"
import * as RuntimeFlagsPatch from "effect/RuntimeFlagsPatch"
import { type GatherarrSettings, load } from "./Config.ts"
import * as Logger from "./Logger.ts"
import { onStop } from "./Signals.ts"

export const EXIT_STARTUP = 1
export const EXIT_CONFIG = 2

export const Platform = Layer.mergeAll(NodeFileSystem.layer, NodePath.layer)

/**
 * The Node server, bound before the scheduler starts (if the port cannot be had, no search is
 * sent). Until Gatherarr's routes are attached, and after they are detached at shutdown, it answers
 * 503 itself, so no request ever hangs.
 */
export const server = (settings: GatherarrSettings) =>
  NodeHttpServer.layer(
    () => {
      const node = createServer()
      node.on("request", (_request, response) => {
        if (node.listenerCount("request") === 1) {
          response.writeHead(503, { "content-type": "text/plain" })
          response.end("unhealthy: starting or stopping")
        }
      })
      return node
    },
    { host: settings.httpHost, port: settings.httpPort },
  )

/** A start-up failure in words, naming the variable to fix. */
export const startupError = (cause: Cause.Cause<unknown>, settings: GatherarrSettings) => {
  const error = Cause.squash(cause) as { message?: string; _tag?: string; cause?: { message?: string } }
  if (error?._tag === "ServeError") {
    return `GATHERARR_HTTP_HOST/GATHERARR_HTTP_PORT: cannot listen on ${settings.httpHost}:${settings.httpPort} (${error.cause?.message ?? "unknown reason"})`
  }
  return error?.message || error?._tag || String(error)
}

/**
 * Reads the configuration, then runs `app` until it is interrupted. Fails with the exit status:
 * 2 for an invalid configuration (every problem on stderr), 1 for any other start-up failure (one
 * JSON error line).
 */
export const program = <E>(
  app: (settings: GatherarrSettings) => Layer.Layer<never, E>,
  launch: { readonly codeCache?: string } = {},
): Effect.Effect<never, number> =>
  Effect.gen(function* () {
    const settings = yield* load.pipe(Effect.provide(Platform))
    // Should anything hang past the graceful path, the process still ends on time.
    yield* Effect.sync(() =>
      onStop(() => setTimeout(() => process.exit(0), Duration.toMillis(settings.shutdownTimeout)).unref()),
    )
    return yield* Effect.zipRight(
      Effect.logDebug("starting").pipe(
        Effect.annotateLogs({
          node: process.version,
          code_cache: launch.codeCache ?? "absent",
          uptime_ms: Math.round(performance.now()),
        }),
      ),
      Layer.launch(app(settings)).pipe(
        Effect.tapErrorCause((cause) =>
          Cause.isInterruptedOnly(cause)
            ? Effect.void
            : Effect.logError("Gatherarr cannot start").pipe(
                Effect.annotateLogs({ error: startupError(cause, settings) }),
              ),
        ),
        Effect.mapError(() => EXIT_STARTUP),
      ),
    ).pipe(Effect.provide(Logger.layer(settings.logLevel)))
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

/**
 * Runs the daemon's program as the process: a stop signal interrupts it (graceful shutdown); its
 * end is the exit status (0 when stopped, else the status it failed with). Effect's own fiber
 * metrics are off: they cost CPU on every fiber and tell users nothing.
 */
export const runMain = (main: Effect.Effect<never, number>): void => {
  const fiber = Effect.runFork(
    main.pipe(Effect.withRuntimeFlagsPatch(RuntimeFlagsPatch.disable(RuntimeFlags.RuntimeMetrics))),
  )
  const keepAlive = setInterval(() => {}, 2 ** 31 - 1)
  fiber.addObserver((exit) => {
    clearInterval(keepAlive)
    const failure = Exit.isFailure(exit) ? Cause.failureOption(exit.cause) : undefined
    process.exit(
      failure?._tag === "Some"
        ? failure.value
        : Exit.isFailure(exit) && !Cause.isInterruptedOnly(exit.cause)
          ? EXIT_STARTUP
          : 0,
    )
  })
  onStop(() => fiber.unsafeInterruptAsFork(fiber.id()))
}
