/**
 * The configuration contract: every `GATHERARR_*` setting, read from the ambient ConfigProvider
 * (the environment by default), validated all at once. One table (`SETTINGS`) names each setting's
 * variable, default and rule, and whether a target may override it; the globals, the per-target
 * overrides, the documented variable names and the defaults all come from it.
 */
import type * as FileSystem from "@effect/platform/FileSystem"
import * as Config from "effect/Config"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Context from "effect/Context"
import * as Data from "effect/Data"
import * as DefaultServices from "effect/DefaultServices"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as ActiveHours from "./ActiveHours.ts"
import { readBoundedText } from "./BoundedFile.ts"
import * as V from "./ConfigValues.ts"

export type { LogLevelName, SearchMode } from "./ConfigValues.ts"
export { parseBoolean, parseDuration } from "./ConfigValues.ts"
export type TargetType = "radarr" | "sonarr"

interface Setting<A, Scope extends "global" | "target"> {
  /** The variable is `GATHERARR_<key>` (and, for a target's override, `GATHERARR_TARGET_<NAME>_<key>`). */
  readonly key: string
  readonly fallback: string
  readonly parse: V.Parser<A>
  readonly scope: Scope
}
const global = <A>(key: string, fallback: string, parse: V.Parser<A>): Setting<A, "global"> => ({
  key,
  fallback,
  parse,
  scope: "global",
})
const perTarget = <A>(key: string, fallback: string, parse: V.Parser<A>): Setting<A, "target"> => ({
  key,
  fallback,
  parse,
  scope: "target",
})

/** Every setting but the targets themselves, in the order problems are reported. */
const SETTINGS = {
  statePath: global("STATE_PATH", "./data/state.json", V.statePath),
  interval: perTarget("INTERVAL", "1h", V.duration(Duration.minutes(1), Duration.days(365))),
  maxSearchesPerRun: perTarget("MAX_SEARCHES_PER_RUN", "10", V.integer(0, 1000)),
  maxSearchesPerHour: global("MAX_SEARCHES_PER_HOUR", "30", V.integer(0, 100_000)),
  concurrency: global("CONCURRENCY", "2", V.integer(1, 64)),
  cooldown: perTarget("COOLDOWN", "7d", V.duration(Duration.zero, Duration.days(3650))),
  search: perTarget("SEARCH", "missing", V.searchModes),
  requestTimeout: global("REQUEST_TIMEOUT", "30s", V.duration(Duration.millis(1), Duration.hours(1))),
  retryAttempts: global("RETRY_ATTEMPTS", "3", V.integer(0, 20)),
  retryBaseDelay: global("RETRY_BASE_DELAY", "1s", V.duration(Duration.millis(1), Duration.hours(1))),
  retryMaxDelay: global("RETRY_MAX_DELAY", "30s", V.duration(Duration.millis(1), Duration.hours(1))),
  commandTimeout: global("COMMAND_TIMEOUT", "5m", V.duration(Duration.millis(1), Duration.days(1))),
  commandPollInterval: global(
    "COMMAND_POLL_INTERVAL",
    "2s",
    V.duration(Duration.millis(1), Duration.hours(1)),
  ),
  httpHost: global("HTTP_HOST", "0.0.0.0", V.host),
  httpPort: global("HTTP_PORT", "9477", V.integer(0, 65535)),
  logLevel: global("LOG_LEVEL", "info", V.oneOf<V.LogLevelName>(["debug", "info", "warn", "error"])),
  shutdownTimeout: global("SHUTDOWN_TIMEOUT", "8s", V.duration(Duration.seconds(1), Duration.hours(1))),
  dryRun: global("DRY_RUN", "false", V.parseBoolean),
  runOnStart: global("RUN_ON_START", "true", V.parseBoolean),
  statusPage: global("STATUS_PAGE", "true", V.parseBoolean),
  includeTags: perTarget("INCLUDE_TAGS", "", V.tags),
  excludeTags: perTarget("EXCLUDE_TAGS", "", V.tags),
  maxQueue: perTarget("MAX_QUEUE", "off", V.maxQueue),
  activeHours: perTarget("ACTIVE_HOURS", "off", V.activeHours),
  releaseGrace: perTarget("RELEASE_GRACE", "6h", V.duration(Duration.zero, Duration.days(3650))),
  includeSpecials: perTarget("INCLUDE_SPECIALS", "false", V.parseBoolean),
} as const

type Table = typeof SETTINGS
type Field = keyof Table
type ValueOf<F extends Field> = Table[F] extends Setting<infer A, "global" | "target"> ? A : never
type FieldsOf<Scope> = { [F in Field]: Table[F]["scope"] extends Scope ? F : never }[Field]
type GlobalField = FieldsOf<"global">
type TargetField = FieldsOf<"target">

/** A target's own settings: those it may override, with the globals as defaults. */
export type TargetOptions = { readonly [F in TargetField]: ValueOf<F> }

export interface TargetConfig extends TargetOptions {
  readonly name: string
  readonly type: TargetType
  /** Base URL without a trailing slash, e.g. `http://host:7878/radarr`. */
  readonly url: string
  readonly apiKey: Redacted.Redacted<string>
}

export type GlobalOptions = { readonly [F in GlobalField]: ValueOf<F> }

export interface GatherarrSettings extends GlobalOptions {
  readonly targets: ReadonlyArray<TargetConfig>
  /** The zone for active hours, from `TZ` (undefined: the process's own). */
  readonly timeZone: string | undefined
  /** The largest response body read from an app (not an environment variable). */
  readonly maxBodyBytes: number
  /**
   * Whether requests to the apps carry tracing headers (`traceparent`, `b3`): off unless a host
   * that traces across services turns it on (not an environment variable).
   */
  readonly tracePropagation?: boolean
}

/** 64 MiB: a whole-library download of a very large Radarr fits; anything bigger is refused. */
export const MAX_BODY_BYTES = 64 * 1024 * 1024
/** An API key file holds a key of a few dozen characters; anything bigger is not one. */
export const MAX_KEY_FILE_BYTES = 4096

/** Every problem found in the configuration, one line each, each naming its variable. */
export class ConfigValidationError extends Data.TaggedError("ConfigValidationError")<{
  readonly problems: ReadonlyArray<string>
}> {
  override get message() {
    return `invalid configuration:\n${this.problems.join("\n")}`
  }
}

const PREFIX = "GATHERARR_"
const TARGET_NAME = /^[a-z][a-z0-9_]{0,31}$/
const fields = Object.keys(SETTINGS) as Array<Field>
const targetFields = fields.filter((f): f is TargetField => SETTINGS[f].scope === "target")

/** The global keys, `GATHERARR_<KEY>` (those a target may override among them). */
export const GLOBAL_KEYS: ReadonlyArray<string> = fields.map((f) => SETTINGS[f].key)

/** The per-target keys, `GATHERARR_TARGET_<NAME>_<KEY>`. */
export const TARGET_KEYS: ReadonlyArray<string> = [
  "URL",
  "API_KEY",
  "API_KEY_FILE",
  ...targetFields.map((f) => SETTINGS[f].key),
]

/** The default of every setting, parsed. */
const DEFAULTS = Object.fromEntries(
  fields.map((f) => {
    const parsed = SETTINGS[f].parse(SETTINGS[f].fallback)
    return [f, parsed.ok ? parsed.value : undefined]
  }),
) as GlobalOptions & TargetOptions

// ---------------------------------------------------------------------------
// Reading from the ambient ConfigProvider.

/** Where variables come from: the ambient ConfigProvider, or a snapshot of the environment. */
interface Source {
  /** The variable's value, if set (`name` in full, e.g. `GATHERARR_TARGETS`). */
  readonly get: (name: string) => Effect.Effect<Option.Option<string>>
  /** Every variable name below `GATHERARR_TARGET_`, as the suffix after that prefix (`TV_4K_URL`). */
  readonly targetVariables: Effect.Effect<ReadonlyArray<string>>
}

const TARGET_PREFIX = `${PREFIX}TARGET_`

/**
 * Effect's default provider reads the process environment: read a snapshot of it directly, names
 * and values, so that reading is linear in the number of variables (the provider's
 * `enumerateChildren` scans the whole environment on every call). Any other provider, a host's
 * own, is asked through its interface.
 */
const source: Effect.Effect<Source> = Effect.configProviderWith((provider) => {
  if (provider === Context.get(DefaultServices.liveServices, ConfigProvider.ConfigProvider)) {
    const env = new Map(
      Object.entries(process.env).flatMap(([k, v]) => (v === undefined ? [] : [[k, v] as const])),
    )
    return Effect.succeed({
      get: (name) => Effect.succeed(Option.fromNullable(env.get(name))),
      targetVariables: Effect.sync(() =>
        [...env.keys()]
          .filter((name) => name.startsWith(TARGET_PREFIX) && name.length > TARGET_PREFIX.length)
          .map((name) => name.slice(TARGET_PREFIX.length)),
      ),
    })
  }
  // `GATHERARR_X` is `X` nested in `GATHERARR`, as the provider may structure it (JSON, a map).
  const get = (name: string) =>
    (name.startsWith(PREFIX)
      ? Config.option(Config.string(name.slice(PREFIX.length))).pipe(Config.nested("GATHERARR"))
      : Config.option(Config.string(name))
    ).pipe(Effect.orElseSucceed(Option.none<string>))
  const walk = (path: ReadonlyArray<string>): Effect.Effect<ReadonlyArray<string>> =>
    provider.flattened.enumerateChildren(["GATHERARR", "TARGET", ...path]).pipe(
      Effect.orElseSucceed(() => [] as Iterable<string>),
      Effect.flatMap((children) => Effect.forEach(Array.from(children), (child) => walk([...path, child]))),
      Effect.map((nested) => nested.flat()),
      Effect.flatMap((below) =>
        path.length === 0
          ? Effect.succeed(below)
          : Effect.map(get(`${TARGET_PREFIX}${path.join("_")}`), (value) =>
              Option.isSome(value) ? [path.join("_"), ...below] : below,
            ),
      ),
    )
  return Effect.succeed({ get, targetVariables: walk([]) })
})

type Problems = Array<string>

/**
 * The settings in `wanted`, each from `variable(key)` when set, else from `fallback`. A problem is
 * recorded for each value that breaks its rule; the result is complete only when none was.
 */
const readSettings = <F extends Field>(
  src: Source,
  wanted: ReadonlyArray<F>,
  variable: (key: string) => string,
  fallback: (field: F) => V.Parsed<unknown> | undefined,
  problems: Problems,
) =>
  Effect.gen(function* () {
    const values: Record<string, unknown> = {}
    for (const field of wanted) {
      const setting = SETTINGS[field] as Setting<unknown, "global" | "target">
      const raw = yield* src.get(`${PREFIX}${variable(setting.key)}`)
      const parsed = Option.isSome(raw) ? setting.parse(raw.value) : fallback(field)
      if (parsed?.ok) values[field] = parsed.value
      else if (parsed) problems.push(`${PREFIX}${variable(setting.key)}: ${parsed.problem}`)
    }
    return values as { readonly [K in F]: ValueOf<K> }
  })

/** The globals, including the defaults targets override. */
const readGlobals = (src: Source, problems: Problems) =>
  Effect.gen(function* () {
    const values = yield* readSettings(
      src,
      fields,
      (key) => key,
      (field) => SETTINGS[field].parse(SETTINGS[field].fallback),
      problems,
    )
    const tz = yield* src.get("TZ")
    const timeZone = Option.getOrUndefined(Option.filter(tz, (zone) => zone.trim() !== ""))
    if (timeZone !== undefined && !ActiveHours.isTimeZone(timeZone)) {
      problems.push(`TZ: ${V.show(timeZone)} is not a known time zone (use e.g. Europe/London or UTC)`)
    }
    if (
      values.retryBaseDelay &&
      values.retryMaxDelay &&
      Duration.lessThan(values.retryMaxDelay, values.retryBaseDelay)
    ) {
      problems.push(`${PREFIX}RETRY_MAX_DELAY: must not be shorter than GATHERARR_RETRY_BASE_DELAY`)
    }
    return { values, timeZone }
  })

/** `GATHERARR_TARGETS`: the declared names and types. */
const readDeclared = (src: Source, problems: Problems) =>
  Effect.gen(function* () {
    const raw = yield* src.get(`${PREFIX}TARGETS`)
    const declared: Array<{ name: string; type: TargetType }> = []
    if (Option.isNone(raw) || raw.value.trim() === "") {
      problems.push(
        `${PREFIX}TARGETS: is required (comma-separated name:type pairs, e.g. movies:radarr,tv:sonarr)`,
      )
      return declared
    }
    const seen = new Set<string>()
    for (const entry of raw.value.split(",").map((part) => part.trim())) {
      const [name = "", type, ...rest] = entry.split(":").map((part) => part.trim())
      if (type === undefined || rest.length > 0) {
        problems.push(`${PREFIX}TARGETS: ${V.show(entry)} is not a name:type pair (e.g. movies:radarr)`)
      } else if (!TARGET_NAME.test(name)) {
        problems.push(
          `${PREFIX}TARGETS: target name ${V.show(name)} does not match ^[a-z][a-z0-9_]{0,31}$ (lower-case letter first, then lower-case letters, digits or _)`,
        )
      } else if (type !== "radarr" && type !== "sonarr") {
        problems.push(
          `${PREFIX}TARGETS: target ${V.show(name)} has type ${V.show(type)}; the type must be radarr or sonarr`,
        )
      } else if (seen.has(name)) {
        problems.push(
          `${PREFIX}TARGETS: target name ${V.show(name)} appears more than once; names must be unique`,
        )
      } else {
        seen.add(name)
        declared.push({ name, type })
      }
    }
    return declared
  })

/** `<KEY>` or `<KEY>_FILE`, exactly one. Problems never include the key itself. */
const readApiKey = (src: Source, key: string, problems: Problems) =>
  Effect.gen(function* () {
    const direct = yield* src.get(`${PREFIX}${key}`)
    const file = yield* src.get(`${PREFIX}${key}_FILE`)
    if (Option.isSome(direct) && Option.isSome(file)) {
      problems.push(`${PREFIX}${key}: set either ${PREFIX}${key} or ${PREFIX}${key}_FILE, not both`)
      return undefined
    }
    if (Option.isNone(direct) && Option.isNone(file)) {
      problems.push(
        `${PREFIX}${key}: is required (or ${PREFIX}${key}_FILE with the path of a file holding the key)`,
      )
      return undefined
    }
    let variable = key
    let secret: string
    if (Option.isSome(direct)) {
      secret = direct.value.trim()
      if (secret === "") {
        problems.push(`${PREFIX}${key}: is empty`)
        return undefined
      }
    } else {
      variable = `${key}_FILE`
      const path = Option.getOrThrow(file)
      // A value without a slash may be the key itself, set here by mistake: it is not echoed.
      const named = path.includes("/") ? V.show(path) : "the file it names"
      const content = yield* readBoundedText(path, { limit: MAX_KEY_FILE_BYTES }).pipe(Effect.either)
      if (content._tag === "Left") {
        const { problem, detail } = content.left
        const hint = path.includes("/") ? "" : "; is this the key itself rather than a path?"
        problems.push(
          problem === "missing" || problem === "unreadable" || problem === "timeout"
            ? `${PREFIX}${variable}: cannot read ${named} (${detail}${hint})`
            : `${PREFIX}${variable}: ${named} ${detail}; it must be a regular file holding the key`,
        )
        return undefined
      }
      secret = content.right.trim()
      if (secret === "") {
        problems.push(`${PREFIX}${variable}: ${named} is empty`)
        return undefined
      }
    }
    const invalid = V.headerValueProblem(secret)
    if (invalid) {
      problems.push(`${PREFIX}${variable}: the key ${invalid}`)
      return undefined
    }
    return Redacted.make(secret)
  })

/** One declared target, its overrides falling back to the globals. */
const readTarget = (
  src: Source,
  { name, type }: { name: string; type: TargetType },
  globals: Partial<TargetOptions>,
  problems: Problems,
) =>
  Effect.gen(function* () {
    const before = problems.length
    const variable = (key: string) => `TARGET_${name.toUpperCase()}_${key}`
    const urlRaw = yield* src.get(`${PREFIX}${variable("URL")}`)
    let url: string | undefined
    if (Option.isNone(urlRaw)) {
      problems.push(
        `${PREFIX}${variable("URL")}: is required for target ${V.show(name)} (e.g. http://host:7878)`,
      )
    } else {
      const parsed = V.url(urlRaw.value)
      if (parsed.ok) url = parsed.value
      else problems.push(`${PREFIX}${variable("URL")}: ${parsed.problem}`)
    }
    const apiKey = yield* readApiKey(src, variable("API_KEY"), problems)
    const options = yield* readSettings(
      src,
      targetFields,
      variable,
      (field) => (field in globals ? V.ok(globals[field]) : undefined),
      problems,
    )
    const overlap = (options.includeTags ?? []).filter((label) => (options.excludeTags ?? []).includes(label))
    if (overlap.length > 0) {
      problems.push(
        `${PREFIX}${variable("EXCLUDE_TAGS")}: tag ${V.show(overlap[0]!)} is both included and excluded for target ${V.show(name)}`,
      )
    }
    if (problems.length > before || url === undefined || apiKey === undefined) return undefined
    return { ...options, name, type, url, apiKey } satisfies TargetConfig
  })

/** Variables below `GATHERARR_TARGET_` that belong to no declared target are typos. */
const readStrays = (src: Source, declared: ReadonlyArray<{ name: string }>, problems: Problems) =>
  Effect.gen(function* () {
    if (declared.length === 0) return
    const known = new Set(
      declared.flatMap(({ name }) => TARGET_KEYS.map((key) => `${name.toUpperCase()}_${key}`)),
    )
    const strays = [...new Set((yield* src.targetVariables).filter((suffix) => !known.has(suffix)))].sort()
    for (const suffix of strays) {
      problems.push(
        `${PREFIX}TARGET_${suffix}: names no configured target and setting (targets: ${declared.map((t) => t.name).join(", ")}; settings: ${TARGET_KEYS.join(", ")})`,
      )
    }
  })

/**
 * Reads and validates the whole configuration. Fails with every problem at once.
 * Needs `FileSystem` for `_API_KEY_FILE` settings.
 */
export const load: Effect.Effect<GatherarrSettings, ConfigValidationError, FileSystem.FileSystem> =
  Effect.gen(function* () {
    const src = yield* source
    const problems: Problems = []
    const { values, timeZone } = yield* readGlobals(src, problems)
    const declared = yield* readDeclared(src, problems)
    const targets: Array<TargetConfig> = []
    for (const entry of declared) {
      const target = yield* readTarget(src, entry, values, problems)
      if (target) targets.push(target)
    }
    yield* readStrays(src, declared, problems)
    if (problems.length > 0) return yield* new ConfigValidationError({ problems })
    return { ...(values as GlobalOptions), targets, timeZone, maxBodyBytes: MAX_BODY_BYTES }
  })

// ---------------------------------------------------------------------------
// The service.

export class GatherarrConfig extends Context.Tag("gatherarr/Config")<GatherarrConfig, GatherarrSettings>() {
  /** From the ambient ConfigProvider (the environment unless the host supplies another). */
  static readonly layer: Layer.Layer<GatherarrConfig, ConfigValidationError, FileSystem.FileSystem> =
    Layer.effect(GatherarrConfig, load)

  /** From a typed value, for hosts that build their configuration themselves. */
  static readonly layerFrom = (settings: GatherarrSettings): Layer.Layer<GatherarrConfig> =>
    Layer.succeed(GatherarrConfig, settings)

  /** The documented defaults (no targets), with `overrides` applied. */
  static readonly make = (overrides: Partial<GatherarrSettings> = {}): GatherarrSettings => ({
    ...(DEFAULTS as GlobalOptions),
    targets: [],
    timeZone: undefined,
    maxBodyBytes: MAX_BODY_BYTES,
    ...overrides,
  })

  /** A target with the documented defaults for everything it may override. */
  static readonly target = (
    fields: Pick<TargetConfig, "name" | "type" | "url" | "apiKey"> & Partial<TargetOptions>,
  ): TargetConfig => ({ ...(DEFAULTS as TargetOptions), ...fields })

  static readonly layerTest = (overrides: Partial<GatherarrSettings> = {}): Layer.Layer<GatherarrConfig> =>
    Layer.succeed(GatherarrConfig, GatherarrConfig.make(overrides))
}
