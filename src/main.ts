/**
 * The standalone daemon: Gatherarr's layers with the file store, the documented metrics, Prometheus
 * on /metrics, /health, and Node's HTTP client and server. Only wiring lives here; the process
 * (configuration, exit statuses, signals) is Daemon.ts.
 */
// First: stop signals are caught before anything else is loaded.
import "./Signals.ts"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as Layer from "effect/Layer"
import type { GatherarrSettings } from "./Config.ts"
import * as Daemon from "./Daemon.ts"
import * as HttpServer from "./HttpServer.ts"
import { GatherarrConfig, GatherarrCore, GatherarrMetrics, StateStore } from "./index.ts"
import * as Prometheus from "./Prometheus.ts"

/** What the launcher (src/launch.ts) says of the code cache, when it started this bundle. */
declare const gatherarrLaunch: { readonly codeCache: string } | undefined

// The server binds while the state is locked and loaded (both before the scheduler starts: if the
// port cannot be had, or the state not, no search is sent).
const app = (settings: GatherarrSettings) =>
  HttpServer.layer.pipe(
    Layer.provideMerge(GatherarrCore),
    Layer.provideMerge(
      Layer.mergeAll(Daemon.server(settings), Prometheus.layer, StateStore.layer, GatherarrMetrics.layer),
    ),
    Layer.provide(Layer.mergeAll(GatherarrConfig.layerFrom(settings), NodeHttpClient.layer, Daemon.Platform)),
  )

Daemon.runMain(Daemon.program(app, typeof gatherarrLaunch === "undefined" ? {} : gatherarrLaunch))
