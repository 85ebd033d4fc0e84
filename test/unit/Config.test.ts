import { execFileSync } from "node:child_process"
import { chmodSync, mkdirSync, symlinkSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import { describe, expect, it } from "@effect/vitest"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Redacted from "effect/Redacted"
import { ConfigValidationError, load, parseBoolean, parseDuration } from "../../src/Config.ts"
import { tempDir } from "../support/temp.ts"

const SECRET = "s3cr3t-key-0123456789abcdef"
const base = {
  GATHERARR_TARGETS: "movies:radarr,tv:sonarr",
  GATHERARR_TARGET_MOVIES_URL: "http://radarr:7878",
  GATHERARR_TARGET_MOVIES_API_KEY: SECRET,
  GATHERARR_TARGET_TV_URL: "https://sonarr.example/sonarr/",
  GATHERARR_TARGET_TV_API_KEY: SECRET,
}

/** Loads the configuration from these variables, as the environment would hold them. */
const loadFrom = (env: Record<string, string>) =>
  load.pipe(
    Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env)), { pathDelim: "_" })),
    Effect.provide(NodeFileSystem.layer),
    Effect.either,
  )

const problemsOf = (env: Record<string, string>) =>
  Effect.map(loadFrom(env), (result) => {
    if (Either.isRight(result)) throw new Error("expected the configuration to be rejected")
    expect(result.left).toBeInstanceOf(ConfigValidationError)
    const text = result.left.problems.join("\n")
    expect(text).not.toContain(SECRET)
    return result.left.problems
  })

const ok = (env: Record<string, string>) =>
  Effect.map(loadFrom(env), (result) => {
    if (Either.isLeft(result))
      throw new Error(`expected a valid configuration, got:\n${result.left.problems.join("\n")}`)
    return result.right
  })

describe("durations", () => {
  it.each([
    ["500ms", 500],
    ["90s", 90_000],
    ["15m", 900_000],
    ["1h", 3_600_000],
    ["7d", 604_800_000],
    ["1h30m", 5_400_000],
    ["3600", 3_600_000],
    [" 2m ", 120_000],
  ])("%s is %d ms", (raw, millis) => {
    const parsed = parseDuration(raw)
    expect(parsed.ok && Duration.toMillis(parsed.value)).toBe(millis)
  })

  it.each(["", "1x", "h", "-5s", "1.5h", "1h 30m", "ten"])("%j is rejected", (raw) => {
    const parsed = parseDuration(raw)
    expect(parsed.ok).toBe(false)
    expect(!parsed.ok && parsed.problem).toContain("is not a duration")
  })
})

describe("booleans", () => {
  it.each([
    ["true", true],
    ["TRUE", true],
    ["1", true],
    ["yes", true],
    ["Yes", true],
    ["false", false],
    ["False", false],
    ["0", false],
    ["no", false],
    ["NO", false],
  ])("%s is %s", (raw, value) => {
    const parsed = parseBoolean(raw)
    expect(parsed.ok && parsed.value).toBe(value)
  })

  it("anything else is rejected", () => {
    expect(parseBoolean("maybe")).toEqual({ ok: false, problem: expect.stringContaining("is not a boolean") })
  })
})

describe("configuration", () => {
  it.effect("defaults apply when only targets are given", () =>
    Effect.gen(function* () {
      const config = yield* ok(base)
      expect(config.statePath).toBe("./data/state.json")
      expect(config.maxSearchesPerHour).toBe(30)
      expect(config.concurrency).toBe(2)
      expect(Duration.toMillis(config.requestTimeout)).toBe(30_000)
      expect(config.retryAttempts).toBe(3)
      expect(Duration.toMillis(config.retryBaseDelay)).toBe(1000)
      expect(Duration.toMillis(config.retryMaxDelay)).toBe(30_000)
      expect(Duration.toMillis(config.commandTimeout)).toBe(300_000)
      expect(Duration.toMillis(config.commandPollInterval)).toBe(2000)
      expect(config.httpHost).toBe("0.0.0.0")
      expect(config.httpPort).toBe(9477)
      expect(config.logLevel).toBe("info")
      expect(Duration.toMillis(config.shutdownTimeout)).toBe(8000)
      expect(config.dryRun).toBe(false)
      expect(config.runOnStart).toBe(true)
      const [movies, tv] = config.targets
      expect(movies).toMatchObject({
        name: "movies",
        type: "radarr",
        url: "http://radarr:7878",
        maxSearchesPerRun: 10,
      })
      expect(Duration.toMillis(movies!.interval)).toBe(3_600_000)
      expect(Duration.toMillis(movies!.cooldown)).toBe(7 * 86_400_000)
      expect(movies!.search).toEqual(["missing"])
      expect(Redacted.value(movies!.apiKey)).toBe(SECRET)
      // A base path is kept; a trailing slash is not.
      expect(tv).toMatchObject({ name: "tv", type: "sonarr", url: "https://sonarr.example/sonarr" })
    }),
  )

  it.effect("every global can be set", () =>
    Effect.gen(function* () {
      const config = yield* ok({
        ...base,
        GATHERARR_STATE_PATH: "/data/state.json",
        GATHERARR_INTERVAL: "1h30m",
        GATHERARR_MAX_SEARCHES_PER_RUN: "4",
        GATHERARR_MAX_SEARCHES_PER_HOUR: "12",
        GATHERARR_CONCURRENCY: "3",
        GATHERARR_COOLDOWN: "2d",
        GATHERARR_SEARCH: "missing,cutoff",
        GATHERARR_REQUEST_TIMEOUT: "10s",
        GATHERARR_RETRY_ATTEMPTS: "0",
        GATHERARR_RETRY_BASE_DELAY: "500ms",
        GATHERARR_RETRY_MAX_DELAY: "5s",
        GATHERARR_COMMAND_TIMEOUT: "2m",
        GATHERARR_COMMAND_POLL_INTERVAL: "1s",
        GATHERARR_HTTP_HOST: "127.0.0.1",
        GATHERARR_HTTP_PORT: "8080",
        GATHERARR_LOG_LEVEL: "DEBUG",
        GATHERARR_SHUTDOWN_TIMEOUT: "5s",
        GATHERARR_DRY_RUN: "yes",
        GATHERARR_RUN_ON_START: "0",
      })
      expect(config).toMatchObject({
        statePath: "/data/state.json",
        maxSearchesPerHour: 12,
        concurrency: 3,
        retryAttempts: 0,
        httpHost: "127.0.0.1",
        httpPort: 8080,
        logLevel: "debug",
        dryRun: true,
        runOnStart: false,
      })
      expect(Duration.toMillis(config.requestTimeout)).toBe(10_000)
      expect(Duration.toMillis(config.retryBaseDelay)).toBe(500)
      expect(Duration.toMillis(config.retryMaxDelay)).toBe(5000)
      expect(Duration.toMillis(config.commandTimeout)).toBe(120_000)
      expect(Duration.toMillis(config.shutdownTimeout)).toBe(5000)
      for (const target of config.targets) {
        expect(Duration.toMillis(target.interval)).toBe(5_400_000)
        expect(target.maxSearchesPerRun).toBe(4)
        expect(Duration.toMillis(target.cooldown)).toBe(2 * 86_400_000)
        expect(target.search).toEqual(["missing", "cutoff"])
      }
    }),
  )

  it.effect("per-target overrides win over the globals, for that target only", () =>
    Effect.gen(function* () {
      const config = yield* ok({
        ...base,
        GATHERARR_INTERVAL: "2h",
        GATHERARR_TARGET_TV_INTERVAL: "15m",
        GATHERARR_TARGET_TV_MAX_SEARCHES_PER_RUN: "2",
        GATHERARR_TARGET_TV_COOLDOWN: "1d",
        GATHERARR_TARGET_TV_SEARCH: "cutoff",
      })
      const [movies, tv] = config.targets
      expect(Duration.toMillis(movies!.interval)).toBe(7_200_000)
      expect(movies!.maxSearchesPerRun).toBe(10)
      expect(movies!.search).toEqual(["missing"])
      expect(Duration.toMillis(tv!.interval)).toBe(900_000)
      expect(tv!.maxSearchesPerRun).toBe(2)
      expect(Duration.toMillis(tv!.cooldown)).toBe(86_400_000)
      expect(tv!.search).toEqual(["cutoff"])
    }),
  )

  it.effect("the user controls: defaults, globals and per-target overrides", () =>
    Effect.gen(function* () {
      const defaults = yield* ok(base)
      expect(defaults.targets[0]).toMatchObject({
        includeTags: [],
        excludeTags: [],
        maxQueue: undefined,
        activeHours: undefined,
        includeSpecials: false,
      })
      expect(Duration.toMillis(defaults.targets[0]!.releaseGrace)).toBe(6 * 3_600_000)
      expect(defaults.timeZone).toBeUndefined()
      const config = yield* ok({
        ...base,
        TZ: "Europe/Berlin",
        GATHERARR_INCLUDE_TAGS: "4K, HDR ,4k",
        GATHERARR_EXCLUDE_TAGS: "anime",
        GATHERARR_MAX_QUEUE: "20",
        GATHERARR_ACTIVE_HOURS: "23:30-06:00",
        GATHERARR_RELEASE_GRACE: "1d",
        GATHERARR_INCLUDE_SPECIALS: "yes",
        GATHERARR_TARGET_TV_INCLUDE_TAGS: "",
        GATHERARR_TARGET_TV_EXCLUDE_TAGS: "kids",
        GATHERARR_TARGET_TV_MAX_QUEUE: "off",
        GATHERARR_TARGET_TV_ACTIVE_HOURS: "off",
        GATHERARR_TARGET_TV_RELEASE_GRACE: "0",
        GATHERARR_TARGET_TV_INCLUDE_SPECIALS: "false",
      })
      expect(config.timeZone).toBe("Europe/Berlin")
      const [movies, tv] = config.targets
      expect(movies).toMatchObject({
        includeTags: ["4k", "hdr"],
        excludeTags: ["anime"],
        maxQueue: 20,
        activeHours: { start: 23 * 60 + 30, end: 6 * 60, text: "23:30-06:00" },
        includeSpecials: true,
      })
      expect(Duration.toMillis(movies!.releaseGrace)).toBe(86_400_000)
      expect(tv).toMatchObject({
        includeTags: [],
        excludeTags: ["kids"],
        maxQueue: undefined,
        activeHours: undefined,
        includeSpecials: false,
      })
      expect(Duration.toMillis(tv!.releaseGrace)).toBe(0)
    }),
  )

  it.effect("the user controls are validated like the rest", () =>
    Effect.gen(function* () {
      const problems = yield* problemsOf({
        ...base,
        TZ: "Mars/Olympus",
        GATHERARR_MAX_QUEUE: "0",
        GATHERARR_ACTIVE_HOURS: "9-5",
        GATHERARR_RELEASE_GRACE: "soon",
        GATHERARR_INCLUDE_SPECIALS: "sometimes",
        GATHERARR_TARGET_TV_ACTIVE_HOURS: "07:00-07:00",
        GATHERARR_TARGET_TV_INCLUDE_TAGS: "kids",
        GATHERARR_TARGET_TV_EXCLUDE_TAGS: "KIDS",
      })
      expect(problems).toEqual([
        'GATHERARR_MAX_QUEUE: "0" is out of range (1 to 1000000)',
        'GATHERARR_ACTIVE_HOURS: "9-5" is not a time window (use HH:MM-HH:MM, e.g. 01:00-07:00)',
        expect.stringMatching(/^GATHERARR_RELEASE_GRACE: "soon" is not a duration/),
        'GATHERARR_INCLUDE_SPECIALS: "sometimes" is not a boolean (use true/false, 1/0 or yes/no)',
        'TZ: "Mars/Olympus" is not a known time zone (use e.g. Europe/London or UTC)',
        'GATHERARR_TARGET_TV_ACTIVE_HOURS: "07:00-07:00" is an empty window (start and end are equal)',
        'GATHERARR_TARGET_TV_EXCLUDE_TAGS: tag "kids" is both included and excluded for target "tv"',
      ])
    }),
  )

  it.effect("a variable belongs to the target whose name and a known key match it", () =>
    Effect.gen(function* () {
      const config = yield* ok({
        GATHERARR_TARGETS: "tv:sonarr,tv_4k:sonarr",
        GATHERARR_TARGET_TV_URL: "http://sonarr:8989",
        GATHERARR_TARGET_TV_API_KEY: SECRET,
        GATHERARR_TARGET_TV_4K_URL: "http://sonarr4k:8989",
        GATHERARR_TARGET_TV_4K_API_KEY: SECRET,
      })
      expect(config.targets.map((t) => [t.name, t.url])).toEqual([
        ["tv", "http://sonarr:8989"],
        ["tv_4k", "http://sonarr4k:8989"],
      ])
    }),
  )

  it.effect("the key can come from a file, trimmed", () =>
    Effect.gen(function* () {
      const dir = tempDir("key")
      writeFileSync(join(dir, "key"), `${SECRET}\n\n`)
      const { GATHERARR_TARGET_TV_API_KEY: _, ...rest } = base
      const config = yield* ok({ ...rest, GATHERARR_TARGET_TV_API_KEY_FILE: join(dir, "key") })
      expect(Redacted.value(config.targets[1]!.apiKey)).toBe(SECRET)
    }),
  )

  it.effect("key file problems are named: missing, empty, unreadable, both set, neither set", () =>
    Effect.gen(function* () {
      const dir = tempDir("key")
      writeFileSync(join(dir, "empty"), " \n")
      mkdirSync(join(dir, "adir"))
      const problems = yield* problemsOf({
        GATHERARR_TARGETS: "a:radarr,b:radarr,c:radarr,d:radarr,e:sonarr",
        GATHERARR_TARGET_A_URL: "http://a",
        GATHERARR_TARGET_A_API_KEY_FILE: join(dir, "missing"),
        GATHERARR_TARGET_B_URL: "http://b",
        GATHERARR_TARGET_B_API_KEY_FILE: join(dir, "empty"),
        GATHERARR_TARGET_C_URL: "http://c",
        GATHERARR_TARGET_C_API_KEY: SECRET,
        GATHERARR_TARGET_C_API_KEY_FILE: join(dir, "empty"),
        GATHERARR_TARGET_D_URL: "http://d",
        GATHERARR_TARGET_E_URL: "http://e",
        GATHERARR_TARGET_E_API_KEY_FILE: join(dir, "adir"),
      })
      expect(problems).toEqual([
        expect.stringMatching(/^GATHERARR_TARGET_A_API_KEY_FILE: cannot read ".*missing" \(no such file\)$/),
        expect.stringMatching(/^GATHERARR_TARGET_B_API_KEY_FILE: ".*empty" is empty$/),
        "GATHERARR_TARGET_C_API_KEY: set either GATHERARR_TARGET_C_API_KEY or GATHERARR_TARGET_C_API_KEY_FILE, not both",
        expect.stringMatching(/^GATHERARR_TARGET_D_API_KEY: is required/),
        expect.stringMatching(
          /^GATHERARR_TARGET_E_API_KEY_FILE: ".*adir" is a directory; it must be a regular file holding the key$/,
        ),
      ])
    }),
  )

  it.effect("a key set in _API_KEY_FILE by mistake is not echoed", () =>
    Effect.gen(function* () {
      const problems = yield* problemsOf({
        GATHERARR_TARGETS: "a:radarr",
        GATHERARR_TARGET_A_URL: "http://a",
        GATHERARR_TARGET_A_API_KEY_FILE: SECRET,
      })
      expect(problems).toEqual([
        "GATHERARR_TARGET_A_API_KEY_FILE: cannot read the file it names (no such file; is this the key itself rather than a path?)",
      ])
    }),
  )

  it.effect("an unreadable key file is reported", () =>
    Effect.gen(function* () {
      if (process.getuid?.() === 0) return // root reads everything
      const dir = tempDir("key")
      writeFileSync(join(dir, "key"), SECRET)
      chmodSync(join(dir, "key"), 0)
      const problems = yield* problemsOf({
        GATHERARR_TARGETS: "a:radarr",
        GATHERARR_TARGET_A_URL: "http://a",
        GATHERARR_TARGET_A_API_KEY_FILE: join(dir, "key"),
      })
      expect(problems[0]).toContain("permission denied")
    }),
  )

  it.effect("every problem is reported at once, each naming its variable and rule", () =>
    Effect.gen(function* () {
      const problems = yield* problemsOf({
        GATHERARR_TARGETS: "movies:radarr,tv:sonarr,tv:radarr,Bad:radarr,x:lidarr,nocolon",
        GATHERARR_TARGET_MOVIES_URL: "htp://x",
        GATHERARR_TARGET_MOVIES_API_KEY: SECRET,
        GATHERARR_TARGET_TV_API_KEY: SECRET,
        GATHERARR_TARGET_TV_INTERVAL: "30s",
        GATHERARR_INTERVAL: "soon",
        GATHERARR_MAX_SEARCHES_PER_RUN: "ten",
        GATHERARR_MAX_SEARCHES_PER_HOUR: "-1",
        GATHERARR_CONCURRENCY: "0",
        GATHERARR_COOLDOWN: "forever",
        GATHERARR_SEARCH: "everything",
        GATHERARR_REQUEST_TIMEOUT: "0s",
        GATHERARR_RETRY_ATTEMPTS: "99",
        GATHERARR_RETRY_BASE_DELAY: "10s",
        GATHERARR_RETRY_MAX_DELAY: "1s",
        GATHERARR_HTTP_PORT: "70000",
        GATHERARR_HTTP_HOST: " ",
        GATHERARR_LOG_LEVEL: "verbose",
        GATHERARR_SHUTDOWN_TIMEOUT: "100ms",
        GATHERARR_DRY_RUN: "perhaps",
        GATHERARR_RUN_ON_START: "sometimes",
        GATHERARR_STATE_PATH: "/data/",
      })
      expect(problems).toEqual([
        'GATHERARR_STATE_PATH: "/data/" is not a file path',
        'GATHERARR_INTERVAL: "soon" is not a duration (use e.g. 500ms, 90s, 15m, 1h, 7d, 1h30m or plain seconds)',
        'GATHERARR_MAX_SEARCHES_PER_RUN: "ten" is not a whole number',
        'GATHERARR_MAX_SEARCHES_PER_HOUR: "-1" is out of range (0 to 100000)',
        'GATHERARR_CONCURRENCY: "0" is out of range (1 to 64)',
        expect.stringMatching(/^GATHERARR_COOLDOWN: "forever" is not a duration/),
        'GATHERARR_SEARCH: "everything" is not missing, cutoff or missing,cutoff',
        'GATHERARR_REQUEST_TIMEOUT: "0s" is shorter than the minimum of 1ms',
        'GATHERARR_RETRY_ATTEMPTS: "99" is out of range (0 to 20)',
        'GATHERARR_HTTP_HOST: " " is not a host name or address',
        'GATHERARR_HTTP_PORT: "70000" is out of range (0 to 65535)',
        'GATHERARR_LOG_LEVEL: "verbose" is not one of debug, info, warn, error',
        'GATHERARR_SHUTDOWN_TIMEOUT: "100ms" is shorter than the minimum of 1s',
        'GATHERARR_DRY_RUN: "perhaps" is not a boolean (use true/false, 1/0 or yes/no)',
        'GATHERARR_RUN_ON_START: "sometimes" is not a boolean (use true/false, 1/0 or yes/no)',
        "GATHERARR_RETRY_MAX_DELAY: must not be shorter than GATHERARR_RETRY_BASE_DELAY",
        'GATHERARR_TARGETS: target name "tv" appears more than once; names must be unique',
        expect.stringMatching(/^GATHERARR_TARGETS: target name "Bad" does not match \^\[a-z\]/),
        'GATHERARR_TARGETS: target "x" has type "lidarr"; the type must be radarr or sonarr',
        'GATHERARR_TARGETS: "nocolon" is not a name:type pair (e.g. movies:radarr)',
        "GATHERARR_TARGET_MOVIES_URL: has the scheme htp; use http or https",
        'GATHERARR_TARGET_TV_URL: is required for target "tv" (e.g. http://host:7878)',
        'GATHERARR_TARGET_TV_INTERVAL: "30s" is shorter than the minimum of 1m',
      ])
    }),
  )

  it.effect("GATHERARR_TARGETS is required", () =>
    Effect.gen(function* () {
      expect(yield* problemsOf({})).toEqual([
        "GATHERARR_TARGETS: is required (comma-separated name:type pairs, e.g. movies:radarr,tv:sonarr)",
      ])
    }),
  )

  it.effect("a target variable that names no configured target is a typo, reported", () =>
    Effect.gen(function* () {
      const problems = yield* problemsOf({
        ...base,
        GATHERARR_TARGET_MOVIE_URL: "http://typo",
        GATHERARR_TARGET_TV_INTERVALL: "1h",
      })
      expect(problems).toEqual([
        expect.stringMatching(
          /^GATHERARR_TARGET_MOVIE_URL: names no configured target and setting \(targets: movies, tv;/,
        ),
        expect.stringMatching(/^GATHERARR_TARGET_TV_INTERVALL: names no configured target and setting/),
      ])
    }),
  )

  it.effect(
    "URLs: scheme, port, credentials and query strings are checked; a message shows at most the scheme and host",
    () =>
      Effect.gen(function* () {
        const urls = {
          A: "ftp://host",
          B: `http://host/?apikey=${SECRET}`,
          C: `http://user:${SECRET}@host`,
          D: "not a url",
          E: `http://admin:${SECRET}@host:78787`,
          F: "http://host:78787/radarr",
          G: SECRET,
          H: "http://host:0",
          I: `https://host/${SECRET}#x`,
          J: "http://ho st:7878",
        }
        const names = Object.keys(urls).map((n) => n.toLowerCase())
        const problems = yield* problemsOf({
          GATHERARR_TARGETS: names.map((n) => `${n}:radarr`).join(","),
          ...Object.fromEntries(
            Object.entries(urls).flatMap(([n, url]) => [
              [`GATHERARR_TARGET_${n}_URL`, url],
              [`GATHERARR_TARGET_${n}_API_KEY`, "k"],
            ]),
          ),
        })
        expect(problems).toEqual([
          "GATHERARR_TARGET_A_URL: has the scheme ftp; use http or https",
          "GATHERARR_TARGET_B_URL: must not carry a query string or fragment (set the key with _API_KEY or _API_KEY_FILE)",
          "GATHERARR_TARGET_C_URL: must not carry credentials (user:password@); set the key with _API_KEY or _API_KEY_FILE",
          "GATHERARR_TARGET_D_URL: is not a URL (use http://host:port or https://host:port, plus the URL base if any)",
          "GATHERARR_TARGET_E_URL: must not carry credentials (user:password@); set the key with _API_KEY or _API_KEY_FILE",
          "GATHERARR_TARGET_F_URL: has the port 78787, out of range (1 to 65535)",
          "GATHERARR_TARGET_G_URL: is not a URL (use http://host:port or https://host:port, plus the URL base if any)",
          "GATHERARR_TARGET_H_URL: has the port 0, out of range (1 to 65535)",
          "GATHERARR_TARGET_I_URL: must not carry a query string or fragment (set the key with _API_KEY or _API_KEY_FILE)",
          "GATHERARR_TARGET_J_URL: is not a valid URL (http://ho st:7878…)",
        ])
        expect(problems.join("\n")).not.toContain("admin")
      }),
  )

  it.effect(
    "a key that cannot be an HTTP header value is rejected, naming the variable and the rule, never the key",
    () =>
      Effect.gen(function* () {
        const dir = tempDir("key")
        writeFileSync(join(dir, "two-lines"), `${SECRET}\nsecond-line-${SECRET}\n`)
        const problems = yield* problemsOf({
          GATHERARR_TARGETS: "a:radarr,b:radarr,c:radarr",
          GATHERARR_TARGET_A_URL: "http://a",
          GATHERARR_TARGET_A_API_KEY_FILE: join(dir, "two-lines"),
          GATHERARR_TARGET_B_URL: "http://b",
          GATHERARR_TARGET_B_API_KEY: `${SECRET}ключ`,
          GATHERARR_TARGET_C_URL: "http://c",
          GATHERARR_TARGET_C_API_KEY: `${SECRET}\u0007`,
        })
        const rule =
          "the key holds a line break, a control character or a character above U+00FF, which cannot be sent in the X-Api-Key header"
        expect(problems).toEqual([
          expect.stringContaining(`GATHERARR_TARGET_A_API_KEY_FILE: ${rule}`),
          expect.stringContaining(`GATHERARR_TARGET_B_API_KEY: ${rule}`),
          expect.stringContaining(`GATHERARR_TARGET_C_API_KEY: ${rule}`),
        ])
        expect(problems.join("\n")).not.toContain("second-line")
        expect(problems.join("\n")).not.toContain("ключ")
      }),
  )

  it.effect(
    "key files are read only when regular and small: a device, a FIFO or a directory is named, never opened",
    () =>
      Effect.gen(function* () {
        const dir = tempDir("key")
        const fifo = join(dir, "fifo")
        execFileSync("mkfifo", [fifo])
        writeFileSync(join(dir, "big"), "k".repeat(5000))
        mkdirSync(join(dir, "adir"))
        symlinkSync(join(dir, "big"), join(dir, "link-to-big"))
        writeFileSync(join(dir, "real"), `${SECRET}\n`)
        symlinkSync(join(dir, "real"), join(dir, "link"))
        const files = {
          A: "/dev/zero",
          B: fifo,
          C: join(dir, "adir"),
          D: join(dir, "big"),
          E: join(dir, "link-to-big"),
          F: join(dir, "link"),
        }
        const env = {
          GATHERARR_TARGETS: Object.keys(files)
            .map((n) => `${n.toLowerCase()}:radarr`)
            .join(","),
          ...Object.fromEntries(
            Object.entries(files).flatMap(([n, path]) => [
              [`GATHERARR_TARGET_${n}_URL`, "http://app"],
              [`GATHERARR_TARGET_${n}_API_KEY_FILE`, path],
            ]),
          ),
        }
        const problems = yield* problemsOf(env)
        expect(problems).toEqual([
          'GATHERARR_TARGET_A_API_KEY_FILE: "/dev/zero" is a character device (such as /dev/zero), not a regular file; it must be a regular file holding the key',
          `GATHERARR_TARGET_B_API_KEY_FILE: ${JSON.stringify(fifo)} is a FIFO (named pipe), not a regular file; it must be a regular file holding the key`,
          `GATHERARR_TARGET_C_API_KEY_FILE: ${JSON.stringify(join(dir, "adir"))} is a directory; it must be a regular file holding the key`,
          `GATHERARR_TARGET_D_API_KEY_FILE: ${JSON.stringify(join(dir, "big"))} is larger than 4 KiB; it must be a regular file holding the key`,
          `GATHERARR_TARGET_E_API_KEY_FILE: ${JSON.stringify(join(dir, "link-to-big"))} is larger than 4 KiB; it must be a regular file holding the key`,
        ])
        // A link to a regular file (how Kubernetes mounts secrets) is read.
        const config = yield* ok({
          GATHERARR_TARGETS: "f:radarr",
          GATHERARR_TARGET_F_URL: "http://app",
          GATHERARR_TARGET_F_API_KEY_FILE: files.F,
        })
        expect(Redacted.value(config.targets[0]!.apiKey)).toBe(SECRET)
      }),
  )

  it.effect("intervals and timers have documented maximums; at the maximum they are accepted", () =>
    Effect.gen(function* () {
      const problems = yield* problemsOf({
        ...base,
        GATHERARR_INTERVAL: "366d",
        GATHERARR_REQUEST_TIMEOUT: "2h",
        GATHERARR_COMMAND_TIMEOUT: "25h",
        GATHERARR_SHUTDOWN_TIMEOUT: "2h",
        GATHERARR_COOLDOWN: "3651d",
        GATHERARR_TARGET_TV_INTERVAL: "99999999999999999999d",
      })
      expect(problems).toEqual([
        'GATHERARR_INTERVAL: "366d" is longer than the maximum of 365d',
        'GATHERARR_COOLDOWN: "3651d" is longer than the maximum of 3650d',
        'GATHERARR_REQUEST_TIMEOUT: "2h" is longer than the maximum of 1h',
        'GATHERARR_COMMAND_TIMEOUT: "25h" is longer than the maximum of 1d',
        'GATHERARR_SHUTDOWN_TIMEOUT: "2h" is longer than the maximum of 1h',
        'GATHERARR_TARGET_TV_INTERVAL: "99999999999999999999d" is longer than the maximum of 365d',
      ])
      const config = yield* ok({ ...base, GATHERARR_INTERVAL: "365d", GATHERARR_COOLDOWN: "3650d" })
      expect(Duration.toMillis(config.targets[0]!.interval)).toBe(365 * 86_400_000)
    }),
  )

  it.effect("an empty API key is an error", () =>
    Effect.gen(function* () {
      const problems = yield* problemsOf({ ...base, GATHERARR_TARGET_TV_API_KEY: "  " })
      expect(problems).toEqual(["GATHERARR_TARGET_TV_API_KEY: is empty"])
    }),
  )

  it.effect("the error's message lists every problem", () =>
    Effect.gen(function* () {
      const result = yield* loadFrom({ GATHERARR_TARGETS: "a:radarr" })
      expect(Either.isLeft(result) && result.left.message).toBe(
        'invalid configuration:\nGATHERARR_TARGET_A_URL: is required for target "a" (e.g. http://host:7878)\nGATHERARR_TARGET_A_API_KEY: is required (or GATHERARR_TARGET_A_API_KEY_FILE with the path of a file holding the key)',
      )
    }),
  )
})
