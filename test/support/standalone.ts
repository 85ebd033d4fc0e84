/** The standalone composition (as src/main.ts builds it), in this process, on an ephemeral port. */
import { createServer } from "node:http"
import * as PlatformHttpServer from "@effect/platform/HttpServer"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Scope from "effect/Scope"
import { GatherarrConfig, type GatherarrSettings } from "../../src/Config.ts"
import * as HttpServer from "../../src/HttpServer.ts"
import { GatherarrCore, GatherarrMetrics } from "../../src/index.ts"
import * as Prometheus from "../../src/Prometheus.ts"
import { StateStore } from "../../src/StateStore.ts"

/** Serves Gatherarr with these settings (a memory store); its base URL, and how to stop it. */
export const serveStandalone = async (config: GatherarrSettings) => {
  const app = HttpServer.layer.pipe(
    Layer.provideMerge(NodeHttpServer.layer(createServer, { host: "127.0.0.1", port: 0 })),
    Layer.provideMerge(GatherarrCore),
    Layer.provide(Prometheus.layer),
    Layer.provide(Layer.merge(StateStore.layerMemory(), GatherarrMetrics.layer)),
    Layer.provide(Layer.mergeAll(GatherarrConfig.layerFrom(config), NodeHttpClient.layer)),
  )
  const scope = Effect.runSync(Scope.make())
  const context = await Effect.runPromise(Layer.buildWithScope(app, scope))
  const server = context.unsafeMap.get(PlatformHttpServer.HttpServer.key) as PlatformHttpServer.HttpServer
  return {
    base: `http://127.0.0.1:${(server.address as PlatformHttpServer.TcpAddress).port}`,
    stop: () => Effect.runPromise(Scope.close(scope, Exit.void)),
  }
}
