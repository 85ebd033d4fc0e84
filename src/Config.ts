/**
 * The configuration contract: every `GATHERARR_*` setting, read from the ambient
 * ConfigProvider (the environment by default), validated all at once.
 */
import * as FileSystem from "@effect/platform/FileSystem"
import * as Config from "effect/Config"
import * as Context from "effect/Context"
import * as Data from "effect/Data"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as ActiveHoursModule from "./ActiveHours.ts"

export type TargetType = "radarr" | "sonarr"
export type SearchMode = "missing" | "cutoff"
export type LogLevelName = "debug" | "info" | "warn" | "error"

export interface TargetConfig {
  readonly name: string
  readonly type: TargetType
  /** Base URL without a trailing slash, e.g. `http://host:7878/radarr`. */
  readonly url: string
  readonly apiKey: Redacted.Redacted<string>
  readonly interval: Duration.Duration
  readonly maxSearchesPerRun: number
  readonly cooldown: Duration.Duration
  readonly search: ReadonlyArray<SearchMode>
  /** Tag labels (lower case); when any are given, only items with one of them are searched. */
  readonly includeTags: ReadonlyArray<string>
  /** Tag labels (lower case); items with any of them are never searched. */
  readonly excludeTags: ReadonlyArray<string>
  /** No search while the app's download queue holds at least this many records. */
  readonly maxQueue: number | undefined
  /** Searches are only sent inside this daily window. */
  readonly activeHours: ActiveHoursModule.ActiveHours | undefined
  /** A movie counts as available, an episode as aired, only this long after its date. */
  readonly releaseGrace: Duration.Duration
  readonly includeSpecials: boolean
}

export interface GatherarrSettings {
  readonly targets: ReadonlyArray<TargetConfig>
  readonly statePath: string
  readonly maxSearchesPerHour: number
  readonly concurrency: number
  readonly requestTimeout: Duration.Duration
  readonly retryAttempts: number
  readonly retryBaseDelay: Duration.Duration
  readonly retryMaxDelay: Duration.Duration
  readonly commandTimeout: Duration.Duration
  readonly commandPollInterval: Duration.Duration
  readonly httpHost: string
  readonly httpPort: number
  readonly logLevel: LogLevelName
  readonly shutdownTimeout: Duration.Duration
  readonly dryRun: boolean
  readonly runOnStart: boolean
  /** The zone for active hours, from `TZ` (undefined: the process's own). */
  readonly timeZone: string | undefined
  /** The largest response body read from an app (not an environment variable). */
  readonly maxBodyBytes: number
}

/** 64 MiB: a whole-library download of a very large Radarr fits; anything bigger is refused. */
export const MAX_BODY_BYTES = 64 * 1024 * 1024

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

/** The per-target keys, `GATHERARR_TARGET_<NAME>_<KEY>`. */
export const TARGET_KEYS = [
  "URL",
  "API_KEY",
  "API_KEY_FILE",
  "INTERVAL",
  "MAX_SEARCHES_PER_RUN",
  "COOLDOWN",
  "SEARCH",
  "INCLUDE_TAGS",
  "EXCLUDE_TAGS",
  "MAX_QUEUE",
  "ACTIVE_HOURS",
  "RELEASE_GRACE",
  "INCLUDE_SPECIALS",
] as const

// ---------------------------------------------------------------------------
// Value parsers: each returns the value or a description of what is wrong.

type Parsed<A> = { readonly ok: true; readonly value: A } | { readonly ok: false; readonly problem: string }
const ok = <A>(value: A): Parsed<A> => ({ ok: true, value })
const bad = (problem: string): Parsed<never> => ({ ok: false, problem })
const show = (raw: string) => JSON.stringify(raw.length > 80 ? `${raw.slice(0, 80)}…` : raw)

const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }

/** `500ms`, `90s`, `15m`, `1h`, `7d`, combinations such as `1h30m`, or plain seconds (`3600`). */
export const parseDuration = (raw: string): Parsed<Duration.Duration> => {
  const text = raw.trim()
  if (/^\d+$/.test(text)) return ok(Duration.seconds(Number(text)))
  if (!/^(\d+(ms|s|m|h|d))+$/.test(text)) {
    return bad(`${show(raw)} is not a duration (use e.g. 500ms, 90s, 15m, 1h, 7d, 1h30m or plain seconds)`)
  }
  let millis = 0
  for (const [, amount, unit] of text.matchAll(/(\d+)(ms|s|m|h|d)/g)) {
    millis += Number(amount) * UNIT_MS[unit as string]!
  }
  return ok(Duration.millis(millis))
}

export const parseBoolean = (raw: string): Parsed<boolean> => {
  const text = raw.trim().toLowerCase()
  if (["true", "1", "yes"].includes(text)) return ok(true)
  if (["false", "0", "no"].includes(text)) return ok(false)
  return bad(`${show(raw)} is not a boolean (use true/false, 1/0 or yes/no)`)
}

const parseInteger =
  (min: number, max: number) =>
  (raw: string): Parsed<number> => {
    const text = raw.trim()
    if (!/^-?\d+$/.test(text)) return bad(`${show(raw)} is not a whole number`)
    const value = Number(text)
    if (value < min || value > max) return bad(`${show(raw)} is out of range (${min} to ${max})`)
    return ok(value)
  }

const atLeast =
  (min: Duration.Duration, label: string) =>
  (raw: string): Parsed<Duration.Duration> => {
    const parsed = parseDuration(raw)
    if (parsed.ok && Duration.lessThan(parsed.value, min)) {
      return bad(`${show(raw)} is shorter than the minimum ${label}`)
    }
    return parsed
  }

const oneOf =
  <A extends string>(allowed: ReadonlyArray<A>) =>
  (raw: string): Parsed<A> => {
    const text = raw.trim().toLowerCase() as A
    return allowed.includes(text) ? ok(text) : bad(`${show(raw)} is not one of ${allowed.join(", ")}`)
  }

const parseSearch = (raw: string): Parsed<ReadonlyArray<SearchMode>> => {
  const parts = raw
    .split(",")
    .map((part) => part.trim().toLowerCase())
    .filter((part) => part.length > 0)
  const modes: Array<SearchMode> = []
  for (const part of parts) {
    if (part !== "missing" && part !== "cutoff") {
      return bad(`${show(raw)} is not missing, cutoff or missing,cutoff`)
    }
    if (!modes.includes(part)) modes.push(part)
  }
  return modes.length === 0 ? bad(`${show(raw)} is empty (use missing, cutoff or missing,cutoff)`) : ok(modes)
}

const parseUrl = (raw: string): Parsed<string> => {
  const text = raw.trim()
  let url: URL
  try {
    url = new URL(text)
  } catch {
    return bad(`${show(raw)} is not an http(s) URL`)
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return bad(`${show(raw)} is not an http(s) URL`)
  if (url.search !== "" || url.hash !== "") {
    // The value is not echoed: a query string may hold an API key.
    return bad("must not carry a query string or fragment (set the key with _API_KEY or _API_KEY_FILE)")
  }
  if (url.username !== "" || url.password !== "") {
    return bad("must not carry credentials (set the key with _API_KEY or _API_KEY_FILE)")
  }
  return ok(`${url.origin}${url.pathname.replace(/\/+$/, "")}`)
}

const parseTags = (raw: string): Parsed<ReadonlyArray<string>> => {
  const labels = raw
    .split(",")
    .map((label) => label.trim().toLowerCase())
    .filter((label) => label.length > 0)
  return ok([...new Set(labels)])
}

const parseMaxQueue = (raw: string): Parsed<number | undefined> =>
  ["", "off"].includes(raw.trim().toLowerCase()) ? ok(undefined) : parseInteger(1, 1_000_000)(raw)

const parseActiveHours = (raw: string): Parsed<ActiveHoursModule.ActiveHours | undefined> => {
  if (["", "off"].includes(raw.trim().toLowerCase())) return ok(undefined)
  const parsed = ActiveHoursModule.parse(raw)
  return typeof parsed === "string" ? bad(parsed) : ok(parsed)
}

const parseHost = (raw: string): Parsed<string> =>
  raw.trim().length > 0 && !/\s/.test(raw.trim())
    ? ok(raw.trim())
    : bad(`${show(raw)} is not a host name or address`)

const parseStatePath = (raw: string): Parsed<string> =>
  raw.trim().length > 0 && !raw.endsWith("/") ? ok(raw.trim()) : bad(`${show(raw)} is not a file path`)

// ---------------------------------------------------------------------------
// Reading from the ambient ConfigProvider.

const readRaw = (key: string) =>
  Config.option(Config.string(key)).pipe(
    Config.nested("GATHERARR"),
    Effect.orElseSucceed(Option.none<string>),
  )

const readSecret = (key: string) =>
  Config.option(Config.redacted(key)).pipe(
    Config.nested("GATHERARR"),
    Effect.orElseSucceed(Option.none<Redacted.Redacted<string>>),
  )

/** Every variable name below `GATHERARR_TARGET_`, as the suffix after that prefix (e.g. `TV_4K_URL`). */
const targetVariables = Effect.configProviderWith((provider) => {
  const walk = (path: ReadonlyArray<string>): Effect.Effect<ReadonlyArray<string>> =>
    provider.flattened.enumerateChildren(["GATHERARR", "TARGET", ...path]).pipe(
      Effect.orElseSucceed(() => [] as Iterable<string>),
      Effect.flatMap((children) =>
        Effect.forEach(Array.from(children), (child) => walk([...path, child])).pipe(
          Effect.map((nested) => nested.flat()),
        ),
      ),
      Effect.flatMap((below) =>
        path.length === 0
          ? Effect.succeed(below)
          : readRaw(`TARGET_${path.join("_")}`).pipe(
              Effect.map((value) => (Option.isSome(value) ? [path.join("_"), ...below] : below)),
            ),
      ),
    )
  return walk([])
})

const DEFAULTS = {
  STATE_PATH: "./data/state.json",
  INTERVAL: "1h",
  MAX_SEARCHES_PER_RUN: "10",
  MAX_SEARCHES_PER_HOUR: "30",
  CONCURRENCY: "2",
  COOLDOWN: "7d",
  SEARCH: "missing",
  REQUEST_TIMEOUT: "30s",
  RETRY_ATTEMPTS: "3",
  RETRY_BASE_DELAY: "1s",
  RETRY_MAX_DELAY: "30s",
  COMMAND_TIMEOUT: "5m",
  COMMAND_POLL_INTERVAL: "2s",
  HTTP_HOST: "0.0.0.0",
  HTTP_PORT: "9477",
  LOG_LEVEL: "info",
  SHUTDOWN_TIMEOUT: "8s",
  DRY_RUN: "false",
  RUN_ON_START: "true",
  INCLUDE_TAGS: "",
  EXCLUDE_TAGS: "",
  MAX_QUEUE: "off",
  ACTIVE_HOURS: "off",
  RELEASE_GRACE: "6h",
  INCLUDE_SPECIALS: "false",
} as const

type GlobalKey = keyof typeof DEFAULTS

/** The global keys, `GATHERARR_<KEY>`. */
export const GLOBAL_KEYS = Object.keys(DEFAULTS) as ReadonlyArray<GlobalKey>

const intervalRule = atLeast(Duration.minutes(1), "of 1m")
const positive = atLeast(Duration.millis(1), "of 1ms")

/**
 * Reads and validates the whole configuration. Fails with every problem at once.
 * Needs `FileSystem` for `_API_KEY_FILE` settings.
 */
export const load: Effect.Effect<GatherarrSettings, ConfigValidationError, FileSystem.FileSystem> =
  Effect.gen(function* () {
    const fs = yield* FileSystem.FileSystem
    const problems: Array<string> = []
    const check = <A>(key: string, raw: string, parse: (s: string) => Parsed<A>): A | undefined => {
      const parsed = parse(raw)
      if (parsed.ok) return parsed.value
      problems.push(`${PREFIX}${key}: ${parsed.problem}`)
      return undefined
    }
    const global = function* <A>(key: GlobalKey, parse: (s: string) => Parsed<A>) {
      const raw = yield* readRaw(key)
      return check(
        key,
        Option.getOrElse(raw, () => DEFAULTS[key]),
        parse,
      )
    }

    const statePath = yield* global("STATE_PATH", parseStatePath)
    const interval = yield* global("INTERVAL", intervalRule)
    const maxSearchesPerRun = yield* global("MAX_SEARCHES_PER_RUN", parseInteger(0, 1000))
    const maxSearchesPerHour = yield* global("MAX_SEARCHES_PER_HOUR", parseInteger(0, 100_000))
    const concurrency = yield* global("CONCURRENCY", parseInteger(1, 64))
    const cooldown = yield* global("COOLDOWN", parseDuration)
    const search = yield* global("SEARCH", parseSearch)
    const requestTimeout = yield* global("REQUEST_TIMEOUT", positive)
    const retryAttempts = yield* global("RETRY_ATTEMPTS", parseInteger(0, 20))
    const retryBaseDelay = yield* global("RETRY_BASE_DELAY", positive)
    const retryMaxDelay = yield* global("RETRY_MAX_DELAY", positive)
    const commandTimeout = yield* global("COMMAND_TIMEOUT", positive)
    const commandPollInterval = yield* global("COMMAND_POLL_INTERVAL", positive)
    const httpHost = yield* global("HTTP_HOST", parseHost)
    const httpPort = yield* global("HTTP_PORT", parseInteger(0, 65535))
    const logLevel = yield* global("LOG_LEVEL", oneOf<LogLevelName>(["debug", "info", "warn", "error"]))
    const shutdownTimeout = yield* global("SHUTDOWN_TIMEOUT", atLeast(Duration.seconds(1), "of 1s"))
    const dryRun = yield* global("DRY_RUN", parseBoolean)
    const runOnStart = yield* global("RUN_ON_START", parseBoolean)
    const includeTags = yield* global("INCLUDE_TAGS", parseTags)
    const excludeTags = yield* global("EXCLUDE_TAGS", parseTags)
    const maxQueue = yield* global("MAX_QUEUE", parseMaxQueue)
    const activeHours = yield* global("ACTIVE_HOURS", parseActiveHours)
    const releaseGrace = yield* global("RELEASE_GRACE", parseDuration)
    const includeSpecials = yield* global("INCLUDE_SPECIALS", parseBoolean)
    const tz = yield* Config.option(Config.string("TZ")).pipe(Effect.orElseSucceed(Option.none<string>))
    const timeZone = Option.getOrUndefined(Option.filter(tz, (zone) => zone.trim() !== ""))
    if (timeZone !== undefined && !ActiveHoursModule.isTimeZone(timeZone)) {
      problems.push(`TZ: ${show(timeZone)} is not a known time zone (use e.g. Europe/London or UTC)`)
    }
    if (retryBaseDelay && retryMaxDelay && Duration.lessThan(retryMaxDelay, retryBaseDelay)) {
      problems.push(`${PREFIX}RETRY_MAX_DELAY: must not be shorter than GATHERARR_RETRY_BASE_DELAY`)
    }

    // Targets
    const targetsRaw = yield* readRaw("TARGETS")
    const declared: Array<{ name: string; type: TargetType }> = []
    if (Option.isNone(targetsRaw) || targetsRaw.value.trim() === "") {
      problems.push(
        `${PREFIX}TARGETS: is required (comma-separated name:type pairs, e.g. movies:radarr,tv:sonarr)`,
      )
    } else {
      for (const entry of targetsRaw.value.split(",").map((part) => part.trim())) {
        const [name = "", type, ...rest] = entry.split(":").map((part) => part.trim())
        if (type === undefined || rest.length > 0) {
          problems.push(`${PREFIX}TARGETS: ${show(entry)} is not a name:type pair (e.g. movies:radarr)`)
        } else if (!TARGET_NAME.test(name)) {
          problems.push(
            `${PREFIX}TARGETS: target name ${show(name)} does not match ^[a-z][a-z0-9_]{0,31}$ (lower-case letter first, then lower-case letters, digits or _)`,
          )
        } else if (type !== "radarr" && type !== "sonarr") {
          problems.push(
            `${PREFIX}TARGETS: target ${show(name)} has type ${show(type)}; the type must be radarr or sonarr`,
          )
        } else if (declared.some((target) => target.name === name)) {
          problems.push(
            `${PREFIX}TARGETS: target name ${show(name)} appears more than once; names must be unique`,
          )
        } else {
          declared.push({ name, type })
        }
      }
    }

    const targets: Array<TargetConfig> = []
    for (const { name, type } of declared) {
      const before = problems.length
      const upper = name.toUpperCase()
      const key = (suffix: string) => `TARGET_${upper}_${suffix}`
      const override = function* <A>(
        suffix: string,
        fallback: A | undefined,
        parse: (s: string) => Parsed<A>,
      ) {
        const raw = yield* readRaw(key(suffix))
        return Option.isSome(raw) ? check(key(suffix), raw.value, parse) : fallback
      }
      const urlRaw = yield* readRaw(key("URL"))
      if (Option.isNone(urlRaw)) {
        problems.push(`${PREFIX}${key("URL")}: is required for target ${show(name)} (e.g. http://host:7878)`)
      }
      const url = Option.isSome(urlRaw) ? check(key("URL"), urlRaw.value, parseUrl) : undefined
      const apiKey = yield* readApiKey(fs, key("API_KEY"), problems)
      const targetInterval = yield* override("INTERVAL", interval, intervalRule)
      const targetMax = yield* override("MAX_SEARCHES_PER_RUN", maxSearchesPerRun, parseInteger(0, 1000))
      const targetCooldown = yield* override("COOLDOWN", cooldown, parseDuration)
      const targetSearch = yield* override("SEARCH", search, parseSearch)
      const targetInclude = yield* override("INCLUDE_TAGS", includeTags, parseTags)
      const targetExclude = yield* override("EXCLUDE_TAGS", excludeTags, parseTags)
      const targetMaxQueue = yield* override("MAX_QUEUE", maxQueue, parseMaxQueue)
      const targetActive = yield* override("ACTIVE_HOURS", activeHours, parseActiveHours)
      const targetGrace = yield* override("RELEASE_GRACE", releaseGrace, parseDuration)
      const targetSpecials = yield* override("INCLUDE_SPECIALS", includeSpecials, parseBoolean)
      const overlap = (targetInclude ?? []).filter((label) => (targetExclude ?? []).includes(label))
      if (overlap.length > 0) {
        problems.push(
          `${PREFIX}${key("EXCLUDE_TAGS")}: tag ${show(overlap[0]!)} is both included and excluded for target ${show(name)}`,
        )
      }
      if (problems.length === before) {
        targets.push({
          name,
          type,
          url: url!,
          apiKey: apiKey!,
          interval: targetInterval!,
          maxSearchesPerRun: targetMax!,
          cooldown: targetCooldown!,
          search: targetSearch!,
          includeTags: targetInclude!,
          excludeTags: targetExclude!,
          maxQueue: targetMaxQueue,
          activeHours: targetActive,
          releaseGrace: targetGrace!,
          includeSpecials: targetSpecials!,
        })
      }
    }

    // Variables below GATHERARR_TARGET_ that belong to no configured target are typos.
    if (declared.length > 0) {
      for (const suffix of [...(yield* targetVariables)].sort()) {
        const owner = declared.find(({ name }) => {
          const prefix = `${name.toUpperCase()}_`
          return (
            suffix.startsWith(prefix) &&
            (TARGET_KEYS as ReadonlyArray<string>).includes(suffix.slice(prefix.length))
          )
        })
        if (!owner) {
          problems.push(
            `${PREFIX}TARGET_${suffix}: names no configured target and setting (targets: ${declared.map((t) => t.name).join(", ")}; settings: ${TARGET_KEYS.join(", ")})`,
          )
        }
      }
    }

    if (problems.length > 0) return yield* new ConfigValidationError({ problems })
    return {
      targets,
      statePath: statePath!,
      maxSearchesPerHour: maxSearchesPerHour!,
      concurrency: concurrency!,
      requestTimeout: requestTimeout!,
      retryAttempts: retryAttempts!,
      retryBaseDelay: retryBaseDelay!,
      retryMaxDelay: retryMaxDelay!,
      commandTimeout: commandTimeout!,
      commandPollInterval: commandPollInterval!,
      httpHost: httpHost!,
      httpPort: httpPort!,
      logLevel: logLevel!,
      shutdownTimeout: shutdownTimeout!,
      dryRun: dryRun!,
      runOnStart: runOnStart!,
      timeZone,
      maxBodyBytes: MAX_BODY_BYTES,
    }
  })

/** `<KEY>` or `<KEY>_FILE`, exactly one. Problems never include the key itself. */
const readApiKey = (fs: FileSystem.FileSystem, key: string, problems: Array<string>) =>
  Effect.gen(function* () {
    const direct = yield* readSecret(key)
    const file = yield* readRaw(`${key}_FILE`)
    if (Option.isSome(direct) && Option.isSome(file)) {
      problems.push(`${PREFIX}${key}: set either ${PREFIX}${key} or ${PREFIX}${key}_FILE, not both`)
      return undefined
    }
    if (Option.isSome(direct)) {
      if (Redacted.value(direct.value).trim() === "") {
        problems.push(`${PREFIX}${key}: is empty`)
        return undefined
      }
      return Redacted.make(Redacted.value(direct.value).trim())
    }
    if (Option.isNone(file)) {
      problems.push(
        `${PREFIX}${key}: is required (or ${PREFIX}${key}_FILE with the path of a file holding the key)`,
      )
      return undefined
    }
    const content = yield* fs.readFileString(file.value).pipe(Effect.either)
    // A value without a slash may be the key itself, set here by mistake: it is not echoed.
    const named = file.value.includes("/") ? show(file.value) : "the file it names"
    if (content._tag === "Left") {
      const reason = content.left._tag === "SystemError" ? content.left.reason : "unreadable"
      const hint = file.value.includes("/") ? "" : "; is this the key itself rather than a path?"
      problems.push(`${PREFIX}${key}_FILE: cannot read ${named} (${describeReason(reason)}${hint})`)
      return undefined
    }
    const secret = content.right.trim()
    if (secret === "") {
      problems.push(`${PREFIX}${key}_FILE: ${named} is empty`)
      return undefined
    }
    return Redacted.make(secret)
  })

const describeReason = (reason: string) =>
  reason === "NotFound" ? "no such file" : reason === "PermissionDenied" ? "permission denied" : reason

// ---------------------------------------------------------------------------
// The service.

export class GatherarrConfig extends Context.Tag("gatherarr/Config")<GatherarrConfig, GatherarrSettings>() {
  /** From the ambient ConfigProvider (the environment unless the host supplies another). */
  static readonly layer: Layer.Layer<GatherarrConfig, ConfigValidationError, FileSystem.FileSystem> =
    Layer.effect(GatherarrConfig, load)

  /** From a typed value, for hosts that build their configuration themselves. */
  static readonly layerFrom = (settings: GatherarrSettings): Layer.Layer<GatherarrConfig> =>
    Layer.succeed(GatherarrConfig, settings)

  /** Defaults for tests; override what the test is about. */
  static readonly make = (overrides: Partial<GatherarrSettings> = {}): GatherarrSettings => ({
    targets: [],
    statePath: DEFAULTS.STATE_PATH,
    maxSearchesPerHour: 30,
    concurrency: 2,
    requestTimeout: Duration.seconds(30),
    retryAttempts: 3,
    retryBaseDelay: Duration.seconds(1),
    retryMaxDelay: Duration.seconds(30),
    commandTimeout: Duration.minutes(5),
    commandPollInterval: Duration.seconds(2),
    httpHost: "127.0.0.1",
    httpPort: 0,
    logLevel: "info",
    shutdownTimeout: Duration.seconds(8),
    dryRun: false,
    runOnStart: true,
    timeZone: undefined,
    maxBodyBytes: MAX_BODY_BYTES,
    ...overrides,
  })

  static readonly layerTest = (overrides: Partial<GatherarrSettings> = {}): Layer.Layer<GatherarrConfig> =>
    Layer.succeed(GatherarrConfig, GatherarrConfig.make(overrides))

  /** A target with test defaults. */
  static readonly target = (
    fields: Pick<TargetConfig, "name" | "type" | "url"> & Partial<TargetConfig>,
  ): TargetConfig => ({
    apiKey: Redacted.make("test-key"),
    interval: Duration.hours(1),
    maxSearchesPerRun: 10,
    cooldown: Duration.days(7),
    search: ["missing"],
    includeTags: [],
    excludeTags: [],
    maxQueue: undefined,
    activeHours: undefined,
    releaseGrace: Duration.hours(6),
    includeSpecials: false,
    ...fields,
  })
}
