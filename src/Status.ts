/**
 * What the status page and `/api/status` show: the facts runs learn that the state file does not
 * keep (the app's version, the wanted lists' sizes, the next run), held in memory by the `Status`
 * service, and `statusOf`, which joins them with the state and the settings into the JSON status.
 * Nothing here asks an app anything: it shows what runs already read.
 */
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Ref from "effect/Ref"
import type { GatherarrSettings, SearchMode, TargetType } from "./Config.ts"
import * as Dict from "./Dict.ts"
import { recentSearches, type StateFile, targetOf } from "./StateFile.ts"
import { VERSION } from "./version.ts"

/** What runs learned of a target, kept in memory. */
export interface TargetLive {
  readonly appVersion?: string | undefined
  /** Records in each wanted list at the last run that read it (Radarr: movies; Sonarr: episodes). */
  readonly wanted: Partial<Record<SearchMode, number>>
  /** Items Gatherarr searched within the target's cooldown, at the last run's end. */
  readonly searchedWithinCooldown?: number | undefined
  readonly nextRunAt?: string | undefined
  readonly running: boolean
  readonly indexersUnavailable: boolean
}

const fresh: TargetLive = { wanted: {}, running: false, indexersUnavailable: false }

export class Status extends Effect.Service<Status>()("gatherarr/Status", {
  effect: Effect.map(Ref.make(Dict.empty<TargetLive>()), (ref) => ({
    /** Records what a run (or the scheduler) learned of a target. */
    note: (target: string, change: Partial<TargetLive>) =>
      Ref.update(ref, (all) => {
        const before = Dict.get(all, target) ?? fresh
        return Dict.set(all, target, { ...before, ...change, wanted: { ...before.wanted, ...change.wanted } })
      }),
    live: Ref.get(ref),
  })),
}) {}

/** The JSON status (`GET /api/status`), version 1 of its shape. */
export interface StatusJson {
  readonly version: 1
  readonly gatherarr: string
  readonly generatedAt: string
  readonly dryRun: boolean
  readonly searchesLastHour: number
  readonly maxSearchesPerHour: number
  readonly inFlight: number
  readonly concurrency: number
  readonly summary: {
    readonly targets: number
    readonly failing: number
    readonly wanted: number
    readonly searchedWithinCooldown: number
    readonly recentGrabs: number
  }
  readonly targets: ReadonlyArray<TargetStatus>
  readonly recentSearches: ReadonlyArray<{
    readonly at: string
    readonly target: string
    readonly type: TargetType | "unknown"
    readonly title: string
    readonly result: string
    readonly grabs: number
  }>
}

export interface TargetStatus {
  readonly name: string
  readonly type: TargetType
  readonly appVersion: string | null
  readonly lastRunAt: string | null
  readonly lastStatus: "success" | "failure" | null
  readonly lastSuccessAt: string | null
  readonly lastError: string | null
  readonly nextRunAt: string | null
  readonly running: boolean
  readonly consecutiveFailures: number
  readonly indexersUnavailable: boolean
  /** The wanted lists the target searches (`missing`, `cutoff`). */
  readonly search: ReadonlyArray<SearchMode>
  readonly wanted: { readonly missing: number | null; readonly cutoff: number | null }
  readonly searchedWithinCooldown: number | null
  readonly maxSearchesPerRun: number
  readonly intervalSeconds: number
  readonly cooldownSeconds: number
  /** Hours one pass over every wanted record takes at the current limits (none: not known yet). */
  readonly fullPassHours: number | null
}

/** Searches per hour the limits allow this target: its per-run limit each interval, within the hourly cap. */
const searchesPerHour = (settings: GatherarrSettings, perRun: number, interval: Duration.Duration) =>
  Math.min((perRun * 3_600_000) / Duration.toMillis(interval), settings.maxSearchesPerHour)

export const statusOf = (
  settings: GatherarrSettings,
  state: StateFile,
  live: Dict.Dict<TargetLive>,
  inFlight: number,
  now: number,
): StatusJson => {
  const targets = settings.targets.map((target): TargetStatus => {
    const saved = targetOf(state, target.name)
    const known = Dict.get(live, target.name) ?? fresh
    const missing = target.search.includes("missing") ? (known.wanted.missing ?? null) : null
    const cutoff = target.search.includes("cutoff") ? (known.wanted.cutoff ?? null) : null
    const wanted = missing === null && cutoff === null ? null : (missing ?? 0) + (cutoff ?? 0)
    const rate = searchesPerHour(settings, target.maxSearchesPerRun, target.interval)
    return {
      name: target.name,
      type: target.type,
      appVersion: known.appVersion ?? null,
      lastRunAt: saved.lastRunAt ?? null,
      lastStatus: saved.lastStatus ?? null,
      lastSuccessAt: saved.lastSuccessAt ?? null,
      lastError: saved.lastStatus === "failure" ? (saved.lastError ?? null) : null,
      nextRunAt: known.nextRunAt ?? null,
      running: known.running,
      consecutiveFailures: saved.consecutiveFailures,
      indexersUnavailable: known.indexersUnavailable,
      search: target.search,
      wanted: { missing, cutoff },
      searchedWithinCooldown: known.searchedWithinCooldown ?? null,
      maxSearchesPerRun: target.maxSearchesPerRun,
      intervalSeconds: Duration.toSeconds(target.interval),
      cooldownSeconds: Duration.toSeconds(target.cooldown),
      fullPassHours: wanted === null || rate <= 0 ? null : Math.round((wanted / rate) * 10) / 10,
    }
  })
  const typeOf = new Map(settings.targets.map((t) => [t.name, t.type] as const))
  const recent = [...state.recent]
    .sort((a, b) => Date.parse(b.at) - Date.parse(a.at))
    .map((r) => ({
      at: r.at,
      target: r.target,
      type: typeOf.get(r.target) ?? ("unknown" as const),
      title: r.title,
      result: r.result,
      grabs: r.grabs,
    }))
  return {
    version: 1,
    gatherarr: VERSION,
    generatedAt: new Date(now).toISOString(),
    dryRun: settings.dryRun,
    searchesLastHour: recentSearches(state, now).length,
    maxSearchesPerHour: settings.maxSearchesPerHour,
    inFlight,
    concurrency: settings.concurrency,
    summary: {
      targets: targets.length,
      failing: targets.filter((t) => t.lastStatus === "failure").length,
      wanted: targets.reduce((n, t) => n + (t.wanted.missing ?? 0) + (t.wanted.cutoff ?? 0), 0),
      searchedWithinCooldown: targets.reduce((n, t) => n + (t.searchedWithinCooldown ?? 0), 0),
      recentGrabs: recent.reduce((n, r) => n + r.grabs, 0),
    },
    targets,
    recentSearches: recent,
  }
}

/** The status now, from the live facts, the state and the settings (memory only). */
export const currentStatus = (
  settings: GatherarrSettings,
  status: Status,
  state: Effect.Effect<StateFile>,
  inFlight: Effect.Effect<number>,
) =>
  Effect.gen(function* () {
    return statusOf(
      settings,
      yield* state,
      yield* status.live,
      yield* inFlight,
      yield* Clock.currentTimeMillis,
    )
  })
