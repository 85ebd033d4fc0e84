/**
 * One JSON object per line on stdout: `timestamp`, `level`, `message`, then the annotations
 * (`target_name`, `target_type`, `run_id`, `movie_id`, `series_id`, `season_number`, ...).
 */
import * as Cause from "effect/Cause"
import * as HashMap from "effect/HashMap"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import type { LogLevelName } from "./Config.ts"

const text = (message: unknown): string =>
  Array.isArray(message)
    ? message.map(text).join(" ")
    : typeof message === "string"
      ? message
      : JSON.stringify(message)

/** Correlation fields first, in this order; other annotations after them. */
const FIRST = ["target_name", "target_type", "run_id", "movie_id", "series_id", "season_number"]
const rank = (key: string) => {
  const index = FIRST.indexOf(key)
  return index === -1 ? FIRST.length : index
}
/** Keys are ASCII: code-unit order (localeCompare would load ICU's collator, ~6 ms, on the first line). */
const byKey = ([a]: readonly [string, unknown], [b]: readonly [string, unknown]) =>
  rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0)

/** JSON, even for values JSON cannot hold (bigint, cycles): those become strings. */
const serialize = (entry: Record<string, unknown>): string => {
  try {
    return JSON.stringify(entry)
  } catch {
    return JSON.stringify(
      Object.fromEntries(
        Object.entries(entry).map(([k, v]) => [
          k,
          typeof v === "object" ? String(v) : typeof v === "bigint" ? v.toString() : v,
        ]),
      ),
    )
  }
}

export const jsonLogger = (write: (line: string) => void = (line) => process.stdout.write(line)) =>
  Logger.make(({ logLevel, message, annotations, date, cause }) => {
    const entry: Record<string, unknown> = {
      timestamp: date.toISOString(),
      level: logLevel.label.toLowerCase(),
      message: text(message),
    }
    const fields = HashMap.toEntries(annotations).sort(byKey)
    for (const [key, value] of fields) {
      entry[key] = value
    }
    if (!Cause.isEmpty(cause)) entry.cause = Cause.pretty(cause).split("\n").slice(0, 12).join("\n")
    write(`${serialize(entry)}\n`)
  })

const levels: Record<LogLevelName, LogLevel.LogLevel> = {
  debug: LogLevel.Debug,
  info: LogLevel.Info,
  warn: LogLevel.Warning,
  error: LogLevel.Error,
}

/** Replaces the default logger with the JSON logger at the given minimum level. */
export const layer = (level: LogLevelName): Layer.Layer<never> =>
  Layer.merge(Logger.replace(Logger.defaultLogger, jsonLogger()), Logger.minimumLogLevel(levels[level]))
