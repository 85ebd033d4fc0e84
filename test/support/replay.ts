/**
 * A Radarr or Sonarr that answers with bodies recorded from real instances, read from
 * ../shared/replay-fixtures (never copied into the project; SOURCES.md there says which app version
 * wrote each). Where nothing was recorded (commands, health), it answers as the specs describe.
 * Paged recordings are served as page 1; later pages are empty.
 */
import { existsSync, readFileSync } from "node:fs"
import * as http from "node:http"
import type { AddressInfo } from "node:net"
import { join } from "node:path"

export const FIXTURES = join(import.meta.dirname, "..", "..", "..", "shared", "replay-fixtures")
export const hasFixtures = existsSync(join(FIXTURES, "SOURCES.md"))
/** Why a replay test is skipped, as the test report shows it. */
export const NO_FIXTURES = "../shared/replay-fixtures is not beside this clone (CI has it)"

const fixture = (path: string): unknown => JSON.parse(readFileSync(join(FIXTURES, path), "utf8"))

/** A profile: the recorded body for each path (after /api/v3), by app version. */
export const PROFILES = {
  "radarr-5.2": {
    "/system/status": "ruddarr/radarr-system-status.json",
    "/movie": "ruddarr/radarr-movies.json",
    "/queue": "exportarr/radarr-queue.json",
    "/tag": "ruddarr/tags.json",
    "/history/movie": "ruddarr/radarr-movie-history.json",
  },
  "sonarr-3": {
    "/system/status": "chuckbot/sonarr-system-status.json",
    "/wanted/missing": "homeassistant/sonarr-wanted-missing.json",
    "/queue": "chuckbot/sonarr-queue-envelope-and-first-record.json",
    "/series": "ruddarr/sonarr-series.json",
    "/history/series": "aiopyarr/sonarr-history.json",
  },
} as const

export interface Replay {
  readonly url: string
  readonly requests: Array<{ method: string; path: string; query: Record<string, string>; body: unknown }>
  readonly close: () => Promise<void>
}

export const startReplay = async (profile: keyof typeof PROFILES, apiKey: string): Promise<Replay> => {
  const bodies = PROFILES[profile] as Record<string, string>
  const requests: Replay["requests"] = []
  let nextId = 4_400_000
  const commands = new Map<number, Record<string, unknown>>()
  const server = http.createServer((req, res) => {
    const chunks: Array<Buffer> = []
    req.on("data", (c: Buffer) => chunks.push(c))
    req.on("end", () => {
      const url = new URL(req.url ?? "/", "http://replay")
      const path = url.pathname.replace(/^\/api\/v3/, "")
      const text = Buffer.concat(chunks).toString("utf8")
      const body = text ? (JSON.parse(text) as Record<string, unknown>) : undefined
      requests.push({ method: req.method ?? "GET", path, query: Object.fromEntries(url.searchParams), body })
      const send = (status: number, payload?: unknown) => {
        res.writeHead(
          status,
          payload === undefined ? {} : { "content-type": "application/json; charset=utf-8" },
        )
        res.end(payload === undefined ? "" : JSON.stringify(payload, null, 2))
      }
      if (req.headers["x-api-key"] !== apiKey) return send(401)
      if (req.method === "POST" && path === "/command") {
        const { name, ...fields } = body ?? {}
        const command = {
          name,
          commandName: String(name).replace(/([a-z])([A-Z])/g, "$1 $2"),
          body: { ...fields, sendUpdatesToClient: true, updateScheduledTask: true, name, trigger: "manual" },
          priority: "normal",
          status: "queued",
          queued: new Date().toISOString(),
          trigger: "manual",
          id: nextId++,
        }
        commands.set(command.id, command)
        return send(201, command)
      }
      const commandId = /^\/command\/(\d+)$/.exec(path)
      if (req.method === "GET" && commandId) {
        const command = commands.get(Number(commandId[1]))
        if (!command) return send(404)
        return send(200, {
          ...command,
          status: "completed",
          message: "Completed search. 0 reports downloaded.",
        })
      }
      if (req.method === "GET" && path === "/command") return send(200, [...commands.values()])
      const seriesId = /^\/series\/(\d+)$/.exec(path)
      if (req.method === "GET" && seriesId && bodies["/series"]) {
        const found = (fixture(bodies["/series"]) as Array<{ id: number }>).find(
          (s) => s.id === Number(seriesId[1]),
        )
        return found ? send(200, found) : send(404, { message: "NotFound" })
      }
      const recorded = bodies[path]
      if (req.method !== "GET" || recorded === undefined) return send(404, { message: "NotFound" })
      const value = fixture(recorded) as { records?: Array<unknown> }
      const page = Number(url.searchParams.get("page") ?? 1)
      return send(200, page > 1 && Array.isArray(value.records) ? { ...value, page, records: [] } : value)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
