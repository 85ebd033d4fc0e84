/**
 * A host Effect application that embeds Gatherarr: its own ConfigProvider, an in-memory state store,
 * its own logger, and Gatherarr's routes mounted under /gatherarr in its own HTTP server, next to
 * its own routes.
 *
 *   RADARR_URL=http://radarr:7878 RADARR_KEY=... PORT=8080 npx tsx examples/embed.ts
 */
import { createServer } from "node:http"
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as HttpRouter from "@effect/platform/HttpRouter"
import * as HttpServer from "@effect/platform/HttpServer"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
// In your app: from "gatherarr"
import {
  GatherarrConfig,
  GatherarrCore,
  GatherarrMetrics,
  HttpRoutes,
  Prometheus,
  StateStore,
} from "../src/index.ts"

export interface HostOptions {
  readonly radarrUrl: string
  readonly sonarrUrl: string
  readonly apiKey: string
  readonly port: number
  /** Where the host's own logger writes. */
  readonly log: (line: string) => void
  /** The state store; a real host might back it with its database. */
  readonly store?: Layer.Layer<StateStore>
}

export const HostApp = (options: HostOptions) => {
  // The host's router: its own route, and Gatherarr's /metrics and /health under /gatherarr.
  const router = HttpRouter.empty.pipe(
    HttpRouter.get("/", HttpServerResponse.text("my media dashboard")),
    HttpRouter.mount("/gatherarr", HttpRoutes.routes),
  )
  const server = HttpServer.serve(router).pipe(
    Layer.provide(NodeHttpServer.layer(createServer, { host: "127.0.0.1", port: options.port })),
  )
  // The host's configuration: not the environment, a map it builds itself.
  const provider = ConfigProvider.fromMap(
    new Map([
      ["GATHERARR_TARGETS", "movies:radarr,tv:sonarr"],
      ["GATHERARR_TARGET_MOVIES_URL", options.radarrUrl],
      ["GATHERARR_TARGET_MOVIES_API_KEY", options.apiKey],
      ["GATHERARR_TARGET_TV_URL", options.sonarrUrl],
      ["GATHERARR_TARGET_TV_API_KEY", options.apiKey],
      ["GATHERARR_MAX_SEARCHES_PER_RUN", "2"],
      ["GATHERARR_COMMAND_POLL_INTERVAL", "100ms"],
    ]),
    { pathDelim: "_" },
  )
  const logger = Logger.replace(
    Logger.defaultLogger,
    Logger.make(({ logLevel, message, annotations }) =>
      options.log(
        `[host] ${logLevel.label} ${String(message)} ${JSON.stringify(Object.fromEntries(annotations))}`,
      ),
    ),
  )
  return server.pipe(
    Layer.provideMerge(GatherarrCore),
    Layer.provide(Prometheus.layer),
    Layer.provide(Layer.merge(options.store ?? StateStore.layerMemory(), GatherarrMetrics.layer)),
    Layer.provide(GatherarrConfig.layer),
    Layer.provide(Layer.mergeAll(FetchHttpClient.layer, NodeFileSystem.layer)),
    Layer.provide(Layer.setConfigProvider(provider)),
    Layer.provide(logger),
  )
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const app = HostApp({
    radarrUrl: process.env.RADARR_URL ?? "http://127.0.0.1:7878",
    sonarrUrl: process.env.SONARR_URL ?? "http://127.0.0.1:8989",
    apiKey: process.env.RADARR_KEY ?? "",
    port: Number(process.env.PORT ?? 8080),
    log: (line) => console.log(line),
  })
  NodeRuntime.runMain(Layer.launch(app).pipe(Effect.orDie))
}
