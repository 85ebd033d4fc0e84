/**
 * Active hours: a daily window such as `01:00-07:00` (it may wrap midnight), in a time zone.
 * Outside it no search is sent, and the next run is scheduled into it.
 */
export interface ActiveHours {
  /** Minutes after midnight. */
  readonly start: number
  readonly end: number
  /** As written, for logs. */
  readonly text: string
}

const DAY_MINUTES = 24 * 60

/** `HH:MM-HH:MM`, 24-hour clock; the two times differ. */
export const parse = (raw: string): ActiveHours | string => {
  const match = /^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$/.exec(raw)
  const minutes = (h: string, m: string) =>
    Number(h) < 24 && Number(m) < 60 ? Number(h) * 60 + Number(m) : -1
  const start = match ? minutes(match[1]!, match[2]!) : -1
  const end = match ? minutes(match[3]!, match[4]!) : -1
  if (start < 0 || end < 0)
    return `${JSON.stringify(raw)} is not a time window (use HH:MM-HH:MM, e.g. 01:00-07:00)`
  if (start === end) return `${JSON.stringify(raw)} is an empty window (start and end are equal)`
  return { start, end, text: raw.trim() }
}

/** Whether the time zone is one this runtime knows. */
export const isTimeZone = (zone: string): boolean => {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: zone })
    return true
  } catch {
    return false
  }
}

/** Minutes after midnight (with fractions) at `now` in the zone (undefined: the process's zone). */
const minuteOfDay = (now: number, timeZone: string | undefined): number => {
  const parts = new Intl.DateTimeFormat("en-US", {
    timeZone,
    hour: "numeric",
    minute: "numeric",
    second: "numeric",
    hourCycle: "h23",
  }).formatToParts(new Date(now))
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? 0)
  return get("hour") * 60 + get("minute") + get("second") / 60
}

/** Milliseconds until the window opens; 0 inside it. */
export const millisUntilOpen = (window: ActiveHours, now: number, timeZone: string | undefined): number => {
  const minute = minuteOfDay(now, timeZone)
  const inside =
    window.start < window.end
      ? minute >= window.start && minute < window.end
      : minute >= window.start || minute < window.end
  if (inside) return 0
  const wait = (window.start - minute + DAY_MINUTES) % DAY_MINUTES
  return Math.ceil(wait * 60_000)
}
