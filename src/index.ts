/**
 * Gatherarr as Layers, for embedding in an Effect application. Importing this module has no side
 * effects: no environment reads, no servers, no loggers.
 */
import * as Layer from "effect/Layer"
import { ArrClient } from "./arr/ArrClient.ts"
import { Limits } from "./Limits.ts"
import { Scheduler } from "./Scheduler.ts"
import { Search } from "./Search.ts"
import { State } from "./State.ts"

export { ArrClient, ArrError } from "./arr/ArrClient.ts"
export {
  ConfigValidationError,
  GatherarrConfig,
  type GatherarrSettings,
  type TargetConfig,
} from "./Config.ts"
export * as HttpRoutes from "./HttpServer.ts"
export { Limits } from "./Limits.ts"
export * as JsonLogger from "./Logger.ts"
export * as GatherarrMetrics from "./Metrics.ts"
export * as Prometheus from "./Prometheus.ts"
export { Scheduler } from "./Scheduler.ts"
export { Search } from "./Search.ts"
export { State, type StateFile } from "./State.ts"
export { StateLoadError, StateStore, type StateStoreShape, StateWriteError } from "./StateStore.ts"

/**
 * Runs Gatherarr's scheduler in the layer's scope. Needs `GatherarrConfig`, a `StateStore` and the
 * platform's `HttpClient`; closing the scope stops every fiber and flushes the state.
 */
export const GatherarrLayer = Scheduler.Default.pipe(
  Layer.provideMerge(Search.Default),
  Layer.provideMerge(Layer.merge(Limits.Default, ArrClient.Default)),
  Layer.provideMerge(State.Default),
)
