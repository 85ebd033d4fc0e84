/**
 * The value parsers of the configuration: each takes a variable's text and returns the value or a
 * description of what is wrong. A description quotes the value only where it cannot hold a secret:
 * never for URLs (credentials, a query, a key pasted by mistake) or API keys.
 */
import * as Duration from "effect/Duration"
import * as ActiveHoursModule from "./ActiveHours.ts"

export type SearchMode = "missing" | "cutoff"
export type LogLevelName = "debug" | "info" | "warn" | "error"

export type Parsed<A> =
  | { readonly ok: true; readonly value: A }
  | { readonly ok: false; readonly problem: string }
export type Parser<A> = (raw: string) => Parsed<A>

export const ok = <A>(value: A): Parsed<A> => ({ ok: true, value })
export const bad = (problem: string): Parsed<never> => ({ ok: false, problem })
/** A value that cannot hold a secret, quoted and shortened for a message. */
export const show = (raw: string) => JSON.stringify(raw.length > 80 ? `${raw.slice(0, 80)}…` : raw)

const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const

/** `500ms`, `90s`, `15m`, `1h`, `7d`, combinations such as `1h30m`, or plain seconds (`3600`). */
export const parseDuration: Parser<Duration.Duration> = (raw) => {
  const text = raw.trim()
  if (/^\d+$/.test(text)) return ok(Duration.seconds(Number(text)))
  if (!/^(\d+(ms|s|m|h|d))+$/.test(text)) {
    return bad(`${show(raw)} is not a duration (use e.g. 500ms, 90s, 15m, 1h, 7d, 1h30m or plain seconds)`)
  }
  let millis = 0
  for (const [, amount, unit] of text.matchAll(/(\d+)(ms|s|m|h|d)/g)) {
    millis += Number(amount) * UNIT_MS[unit as keyof typeof UNIT_MS]
  }
  return ok(Duration.millis(millis))
}

/** A duration from `min` to `max`. */
export const duration =
  (min: Duration.Duration, max: Duration.Duration): Parser<Duration.Duration> =>
  (raw) => {
    const parsed = parseDuration(raw)
    if (!parsed.ok) return parsed
    if (Duration.lessThan(parsed.value, min)) {
      return bad(`${show(raw)} is shorter than the minimum of ${Duration.format(min)}`)
    }
    if (Duration.greaterThan(parsed.value, max)) {
      return bad(`${show(raw)} is longer than the maximum of ${Duration.format(max)}`)
    }
    return parsed
  }

export const parseBoolean: Parser<boolean> = (raw) => {
  const text = raw.trim().toLowerCase()
  if (["true", "1", "yes"].includes(text)) return ok(true)
  if (["false", "0", "no"].includes(text)) return ok(false)
  return bad(`${show(raw)} is not a boolean (use true/false, 1/0 or yes/no)`)
}

export const integer =
  (min: number, max: number): Parser<number> =>
  (raw) => {
    const text = raw.trim()
    if (!/^-?\d+$/.test(text)) return bad(`${show(raw)} is not a whole number`)
    const value = Number(text)
    if (value < min || value > max) return bad(`${show(raw)} is out of range (${min} to ${max})`)
    return ok(value)
  }

export const oneOf =
  <A extends string>(allowed: ReadonlyArray<A>): Parser<A> =>
  (raw) => {
    const text = raw.trim().toLowerCase() as A
    return allowed.includes(text) ? ok(text) : bad(`${show(raw)} is not one of ${allowed.join(", ")}`)
  }

const list = (raw: string) =>
  raw
    .split(",")
    .map((part) => part.trim().toLowerCase())
    .filter((part) => part.length > 0)

export const searchModes: Parser<ReadonlyArray<SearchMode>> = (raw) => {
  const modes: Array<SearchMode> = []
  for (const part of list(raw)) {
    if (part !== "missing" && part !== "cutoff")
      return bad(`${show(raw)} is not missing, cutoff or missing,cutoff`)
    if (!modes.includes(part)) modes.push(part)
  }
  return modes.length === 0 ? bad(`${show(raw)} is empty (use missing, cutoff or missing,cutoff)`) : ok(modes)
}

/** Tag labels, lower case, without duplicates. */
export const tags: Parser<ReadonlyArray<string>> = (raw) => ok([...new Set(list(raw))])

const off = (raw: string) => ["", "off"].includes(raw.trim().toLowerCase())

export const maxQueue: Parser<number | undefined> = (raw) =>
  off(raw) ? ok(undefined) : integer(1, 1_000_000)(raw)

export const activeHours: Parser<ActiveHoursModule.ActiveHours | undefined> = (raw) => {
  if (off(raw)) return ok(undefined)
  const parsed = ActiveHoursModule.parse(raw)
  return typeof parsed === "string" ? bad(parsed) : ok(parsed)
}

export const host: Parser<string> = (raw) =>
  raw.trim().length > 0 && !/\s/.test(raw.trim())
    ? ok(raw.trim())
    : bad(`${show(raw)} is not a host name or address`)

export const statePath: Parser<string> = (raw) =>
  raw.trim().length > 0 && !raw.endsWith("/") ? ok(raw.trim()) : bad(`${show(raw)} is not a file path`)

const KEY_HINT = "set the key with _API_KEY or _API_KEY_FILE"

/**
 * An app's base URL, returned without a trailing slash. The value itself is never quoted: a message
 * names what is wrong and shows at most the scheme and the host.
 */
export const url: Parser<string> = (raw) => {
  const text = raw.trim()
  const parts = /^([A-Za-z][A-Za-z0-9+.-]{0,15}):\/\/([^/?#]*)/.exec(text)
  if (!parts) return bad("is not a URL (use http://host:port or https://host:port, plus the URL base if any)")
  const scheme = parts[1]!.toLowerCase()
  if (scheme !== "http" && scheme !== "https") return bad(`has the scheme ${scheme}; use http or https`)
  const authority = parts[2]!
  if (authority.includes("@")) return bad(`must not carry credentials (user:password@); ${KEY_HINT}`)
  const hostText = authority.length > 64 ? `${authority.slice(0, 64)}…` : authority
  const port = /:(\d*)$/.exec(authority)?.[1]
  if (port && (Number(port) < 1 || Number(port) > 65535)) {
    return bad(`has the port ${port}, out of range (1 to 65535)`)
  }
  let parsed: URL
  try {
    parsed = new URL(text)
  } catch {
    return bad(`is not a valid URL (${scheme}://${hostText}…)`)
  }
  if (parsed.search !== "" || parsed.hash !== "") {
    return bad(`must not carry a query string or fragment (${KEY_HINT})`)
  }
  return ok(`${parsed.origin}${parsed.pathname.replace(/\/+$/, "")}`)
}

/**
 * Why a key cannot be sent as the `X-Api-Key` header, if it cannot: HTTP header values hold tabs and
 * the characters U+0020 to U+00FF but no line break or other control character.
 */
export const headerValueProblem = (key: string): string | undefined =>
  /[^\t\x20-\x7e\x80-\xff]/.test(key)
    ? "holds a line break, a control character or a character above U+00FF, which cannot be sent in the X-Api-Key header (an API key is letters and digits, 32 of them in Radarr and Sonarr)"
    : undefined
