/**
 * Benchmark floor (`npm run bench`): the smallest @effect/platform HTTP server, one route on
 * NodeHttpServer under NodeRuntime.runMain, which is how Gatherarr serves /health and /metrics.
 * Bundled and started exactly like Gatherarr (launcher, code cache).
 */
import { createServer } from "node:http"
import * as HttpRouter from "@effect/platform/HttpRouter"
import * as HttpServer from "@effect/platform/HttpServer"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as Layer from "effect/Layer"

const router = HttpRouter.empty.pipe(HttpRouter.get("/health", HttpServerResponse.text("OK")))
NodeRuntime.runMain(
  Layer.launch(
    HttpServer.serve(router).pipe(
      Layer.provide(
        NodeHttpServer.layer(createServer, { host: "127.0.0.1", port: Number(process.env.PORT) }),
      ),
    ),
  ),
)
const launch = (globalThis as { __gatherarrLaunch?: { started: boolean } }).__gatherarrLaunch
if (launch) launch.started = true
