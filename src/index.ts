/**
 * Gatherarr as Layers, for embedding in an Effect application. Importing this module has no side
 * effects: no environment reads, no servers, no loggers.
 */
import * as Layer from "effect/Layer"
import { GatherarrConfig } from "./Config.ts"
import { Limits } from "./Limits.ts"
import { GatherarrMetrics } from "./Metrics.ts"
import { Scheduler } from "./Scheduler.ts"
import { Search } from "./Search.ts"
import { State } from "./State.ts"
import { StateStore } from "./StateStore.ts"
import { Status } from "./Status.ts"

export { ArrClient } from "./arr/ArrClient.ts"
export { ArrError } from "./arr/ArrError.ts"
export {
  ConfigValidationError,
  GatherarrConfig,
  type GatherarrSettings,
  type TargetConfig,
} from "./Config.ts"
export * as HttpRoutes from "./HttpServer.ts"
export { Limits } from "./Limits.ts"
export * as JsonLogger from "./Logger.ts"
export { GatherarrMetrics, type GatherarrMetricsShape, type TargetMetrics } from "./Metrics.ts"
export * as Prometheus from "./Prometheus.ts"
export { Scheduler } from "./Scheduler.ts"
export { Search } from "./Search.ts"
export { State } from "./State.ts"
export type { StateFile } from "./StateFile.ts"
export { StateLoadError, StateStore, type StateStoreShape, StateWriteError } from "./StateStore.ts"
export { Status, type StatusJson, type TargetStatus } from "./Status.ts"

/**
 * Gatherarr's scheduler and services, with the ports left open: provide `GatherarrConfig`, a
 * `StateStore`, `GatherarrMetrics` and the platform's `HttpClient`. Closing the scope stops every
 * fiber and flushes the state.
 */
export const GatherarrCore = Layer.mergeAll(
  Scheduler.Default,
  Search.Default,
  Limits.Default,
  State.Default,
  Status.Default,
)

/**
 * Gatherarr with its default ports: configuration from the ambient ConfigProvider, the state file
 * at GATHERARR_STATE_PATH, the documented metrics. Needs only the platform's `HttpClient`,
 * `FileSystem` and `Path` from the host.
 */
export const GatherarrLayer = GatherarrCore.pipe(
  Layer.provide(Layer.merge(StateStore.layer, GatherarrMetrics.layer)),
  Layer.provideMerge(GatherarrConfig.layer),
)
