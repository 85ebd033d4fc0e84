/**
 * A fake Radarr or Sonarr (API v3) over real HTTP, written from ../shared/arr-api:
 * auth (401 with an empty body), system/status, library, wanted/missing and wanted/cutoff with
 * paging and sorting, queue, tag, commands (201, queued -> started -> completed, de-duplicated),
 * history (grabbed = eventType 1). Faults can be injected per request; every request is recorded.
 * Plain node:http on purpose: it shares no code with Gatherarr.
 */
import * as http from "node:http"
import type { AddressInfo } from "node:net"

export type AppType = "radarr" | "sonarr"

export interface SimulatorOptions {
  readonly app: AppType
  readonly apiKey?: string
  readonly port?: number
  readonly urlBase?: string
  /** Radarr library size. */
  readonly movies?: number
  /** Sonarr library size, with `seasons` seasons of `episodes` episodes each, plus specials. */
  readonly series?: number
  readonly seasons?: number
  readonly episodes?: number
  /** Share of items without a file. */
  readonly missingRatio?: number
  /** Chance that a search grabs something. */
  readonly grabProbability?: number
  readonly seed?: number
  /** How long a command stays queued, then started (milliseconds; Infinity = never finishes). */
  readonly commandQueuedMs?: number
  readonly commandRunMs?: number
  /** false: the wanted endpoints answer 404, as Radarr before 5.6 does. */
  readonly wantedEndpoints?: boolean
  /** false: the per-item endpoints (history/movie, history/series, series/{id}) answer 404. */
  readonly itemEndpoints?: boolean
  /**
   * true: nullable properties without a value are sent as `null`, as a server written from the
   * OpenAPI specs may do, instead of being left out as the real apps do.
   */
  readonly explicitNulls?: boolean
  /**
   * true: the history endpoints take `eventType` by name only (`grabbed`) and answer 400 to a
   * number, as a server validating against the specs' string enum would; the apps take both.
   */
  readonly eventTypeByName?: boolean
  /** The Content-Type of JSON answers (default `application/json; charset=utf-8`; "" sends none). */
  readonly contentType?: string
  readonly tags?: ReadonlyArray<{ id: number; label: string }>
  /**
   * The app version the simulator behaves as (default: Radarr 6.1.0.10300, Sonarr 4.0.19.2900),
   * reported in `system/status`; see `Features` for what each version changes.
   */
  readonly version?: string
}

/** What differs between the app versions Gatherarr supports (from the apps' source at those tags). */
export interface Features {
  /** Radarr from 5.6: `wanted/missing` and `wanted/cutoff` (before: 404). */
  readonly wanted: boolean
  /** Radarr from 5.10.3, Sonarr from 4.0.9.2332: records carry `lastSearchTime`. */
  readonly lastSearchTimeField: boolean
  /**
   * Sonarr v3 resolves each dot-separated part of a sort key against its Episode model: a key
   * such as `episodes.lastSearchTime` answers 500. v4 maps table-qualified keys.
   */
  readonly episodePropertySortKeys: boolean
  /** Sonarr from v4: queue records carry `seasonNumber` (v3: only `episodeId`, and `episode` when asked). */
  readonly queueSeasonNumber: boolean
}

const versionAtLeast = (version: string, ...wanted: ReadonlyArray<number>) => {
  const have = version.split(".").map(Number)
  for (let i = 0; i < wanted.length; i++) {
    const d = (have[i] ?? 0) - wanted[i]!
    if (d !== 0) return d > 0
  }
  return true
}

export const featuresOf = (app: AppType, version: string): Features =>
  app === "radarr"
    ? {
        wanted: versionAtLeast(version, 5, 6),
        lastSearchTimeField: versionAtLeast(version, 5, 10, 3),
        episodePropertySortKeys: false,
        queueSeasonNumber: false,
      }
    : {
        wanted: true,
        lastSearchTimeField: versionAtLeast(version, 4, 0, 9, 2332),
        episodePropertySortKeys: !versionAtLeast(version, 4),
        queueSeasonNumber: versionAtLeast(version, 4),
      }

/** An entry of the app's health check, in the apps' shape. */
export interface HealthEntry {
  source: string
  type: "ok" | "notice" | "warning" | "error"
  message: string
  wikiUrl: string
}

/** The health entries of an app whose indexers all fail (IndexerStatusCheck, as Radarr/Sonarr write it). */
export const indexersFailing = (app: AppType): Array<HealthEntry> => [
  {
    source: "IndexerStatusCheck",
    type: "error",
    message: "All indexers are unavailable due to failures",
    wikiUrl: `https://wiki.servarr.com/${app}/system#indexers-are-unavailable-due-to-failures`,
  },
]

/** The health entries of an app with no indexer enabled for automatic search (IndexerSearchCheck). */
export const noAutomaticSearch = (app: AppType): Array<HealthEntry> => [
  {
    source: "IndexerSearchCheck",
    type: "warning",
    message: `No indexers available with Automatic Search enabled, ${app === "radarr" ? "Radarr" : "Sonarr"} will not provide any automatic search results`,
    wikiUrl: `https://wiki.servarr.com/${app}/system#no-indexers-available-with-automatic-search-enabled`,
  },
]

/** Properties the specs declare nullable on the resources Gatherarr reads. */
const NULLABLE = [
  "appName",
  "version",
  "title",
  "hasFile",
  "lastSearchTime",
  "inCinemas",
  "digitalRelease",
  "physicalRelease",
  "releaseDate",
  "tags",
  "airDateUtc",
  "seasons",
  "name",
  "message",
  "exception",
  "downloadId",
  "records",
  "movieId",
  "seriesId",
  "seasonNumber",
  "episodeId",
  "episode",
  "label",
]
/** Every object in the payload, with `null` for each of those properties it does not have. */
const withNulls = (value: unknown): unknown =>
  Array.isArray(value)
    ? value.map(withNulls)
    : typeof value === "object" && value !== null
      ? Object.fromEntries([
          ...NULLABLE.filter((key) => !(key in value)).map((key) => [key, null]),
          ...Object.entries(value).map(([key, v]) => [key, withNulls(v)]),
        ])
      : value

export interface RecordedRequest {
  readonly method: string
  readonly path: string
  readonly query: Record<string, string>
  readonly headers: http.IncomingHttpHeaders
  readonly body: unknown
  readonly bytesSent: number
}

export type FaultKind =
  | { readonly kind: "status"; readonly status: number; readonly retryAfter?: string }
  | { readonly kind: "hang" }
  | { readonly kind: "reset" }
  | { readonly kind: "malformed" }
  | { readonly kind: "html" }
  | { readonly kind: "oversized"; readonly bytes: number; readonly chunked?: boolean }
  /** The answer is sent after `ms` milliseconds. */
  | { readonly kind: "delay"; readonly ms: number }
  /** A body of the test's own (status 200 and a JSON content type unless given). */
  | { readonly kind: "body"; readonly body: string; readonly status?: number; readonly contentType?: string }
  | { readonly kind: "redirect"; readonly location: string; readonly status?: number }

export type Fault = FaultKind & {
  /** Which requests: a path suffix (after /api/v3) or regular expression, optionally a method. */
  readonly path?: string | RegExp
  readonly method?: string
  /**
   * Whether the app acts on the request although its answer is the fault: `before` (it took the
   * request, then the answer is lost or late), `after` (only once a delay has passed). Default:
   * the app never sees the request.
   */
  readonly process?: "before" | "after"
  /** How many matching requests it hits (default 1). */
  times?: number
}

export interface Movie {
  id: number
  title: string
  sortTitle: string
  year: number
  monitored: boolean
  isAvailable: boolean
  hasFile: boolean
  movieFileId: number
  qualityCutoffNotMet: boolean
  status: string
  tags: Array<number>
  lastSearchTime?: string
  digitalRelease?: string
}

export interface Season {
  seasonNumber: number
  monitored: boolean
}

export interface Series {
  id: number
  title: string
  sortTitle: string
  monitored: boolean
  tags: Array<number>
  seasons: Array<Season>
}

export interface Episode {
  id: number
  seriesId: number
  seasonNumber: number
  episodeNumber: number
  monitored: boolean
  hasFile: boolean
  episodeFileId: number
  qualityCutoffNotMet: boolean
  airDateUtc?: string
  lastSearchTime?: string
}

export interface Command {
  id: number
  name: string
  body: Record<string, unknown>
  queued: number
  status: "queued" | "started" | "completed" | "failed"
  message?: string
  started?: number
  ended?: number
}

export interface HistoryRecord {
  id: number
  movieId?: number
  seriesId?: number
  episodeId?: number
  seasonNumber?: number
  date: string
  downloadId: string
  eventType: "grabbed"
  sourceTitle: string
  data: Record<string, string>
}

export interface QueueRecord {
  id: number
  movieId?: number
  seriesId?: number
  episodeId?: number
  seasonNumber?: number
  downloadId: string
  status: string
}

/** Deterministic pseudo-random numbers (mulberry32). */
const rng = (seed: number) => {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const iso = (ms: number) => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(".000Z", "Z")
const DAY = 86_400_000
const OVERVIEW =
  "A generated title used by the Gatherarr simulator. Its record carries the fields and roughly the size of a real one."

export class Simulator {
  readonly requests: Array<RecordedRequest> = []
  readonly movies: Array<Movie> = []
  readonly series: Array<Series> = []
  readonly episodes: Array<Episode> = []
  readonly commands: Array<Command> = []
  readonly history: Array<HistoryRecord> = []
  readonly queue: Array<QueueRecord> = []
  readonly faults: Array<Fault> = []
  readonly tags: Array<{ id: number; label: string }>
  apiKey: string
  grabProbability: number
  commandQueuedMs: number
  commandRunMs: number
  /** Every command ends `failed`, as when the app cannot run it. */
  failCommands = false
  /** What `GET /health` answers (see `indexersFailing`, `noAutomaticSearch`). */
  health: Array<HealthEntry> = []
  private readonly timers = new Set<NodeJS.Timeout>()
  url = ""
  private readonly random: () => number
  private readonly server: http.Server
  private nextId = 1

  private constructor(readonly options: SimulatorOptions) {
    this.apiKey = options.apiKey ?? "sim-api-key"
    this.grabProbability = options.grabProbability ?? 0.5
    this.commandQueuedMs = options.commandQueuedMs ?? 20
    this.commandRunMs = options.commandRunMs ?? 80
    this.tags = [...(options.tags ?? [])]
    this.random = rng(options.seed ?? 42)
    this.generate()
    this.server = http.createServer((req, res) => this.handle(req, res))
  }

  static async start(options: SimulatorOptions): Promise<Simulator> {
    const sim = new Simulator(options)
    await new Promise<void>((resolve) => sim.server.listen(options.port ?? 0, "127.0.0.1", resolve))
    const { port } = sim.server.address() as AddressInfo
    sim.url = `http://127.0.0.1:${port}${options.urlBase ?? ""}`
    return sim
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port
  }

  async close(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer)
    this.server.closeAllConnections()
    await new Promise<void>((resolve) => this.server.close(() => resolve()))
  }

  /** The Content-Type header of JSON answers, as configured. */
  private jsonType(): Record<string, string> {
    const type = this.options.contentType ?? "application/json; charset=utf-8"
    return type === "" ? {} : { "content-type": type }
  }

  inject(fault: Fault): void {
    this.faults.push({ ...fault, times: fault.times ?? 1 })
  }

  /** The search commands received (POST /command bodies). */
  get commandBodies(): Array<Record<string, unknown>> {
    return this.requests
      .filter((r) => r.method === "POST" && r.path === "/command")
      .map((r) => r.body as never)
  }

  /** Requests to the API, by path (without /api/v3 and the query). */
  count(path: string | RegExp, method = "GET"): number {
    return this.requests.filter(
      (r) => r.method === method && (typeof path === "string" ? r.path === path : path.test(r.path)),
    ).length
  }

  // -------------------------------------------------------------------------
  // Library generation

  private generate() {
    const missing = this.options.missingRatio ?? 0.3
    const now = Date.now()
    if (this.options.app === "radarr") {
      for (let id = 1; id <= (this.options.movies ?? 50); id++) {
        const hasFile = this.random() >= missing
        const isAvailable = this.random() < 0.85
        const searched = this.random() < 0.5
        this.movies.push({
          id,
          title: `Movie ${id}`,
          sortTitle: `movie ${String(id).padStart(6, "0")}`,
          year: 1990 + (id % 35),
          monitored: this.random() < 0.9,
          isAvailable,
          hasFile,
          movieFileId: hasFile ? id : 0,
          qualityCutoffNotMet: hasFile && this.random() < 0.15,
          status: isAvailable ? "released" : "announced",
          tags: [],
          ...(searched ? { lastSearchTime: iso(now - Math.floor(this.random() * 60) * DAY) } : {}),
          digitalRelease: iso(isAvailable ? now - 200 * DAY : now + 60 * DAY),
        })
      }
      return
    }
    const seasons = this.options.seasons ?? 3
    const perSeason = this.options.episodes ?? 6
    let episodeId = 1
    for (let id = 1; id <= (this.options.series ?? 10); id++) {
      const series: Series = {
        id,
        title: `Series ${id}`,
        sortTitle: `series ${String(id).padStart(6, "0")}`,
        monitored: this.random() < 0.9,
        tags: [],
        seasons: [],
      }
      for (let seasonNumber = 0; seasonNumber <= seasons; seasonNumber++) {
        const monitored = seasonNumber > 0 && this.random() < 0.9
        series.seasons.push({ seasonNumber, monitored })
        const count = seasonNumber === 0 ? 2 : perSeason
        for (let episodeNumber = 1; episodeNumber <= count; episodeNumber++) {
          // The last season of every third series is still airing.
          const future = seasonNumber === seasons && id % 3 === 0 && episodeNumber > count / 2
          const hasFile = !future && this.random() >= missing
          this.episodes.push({
            id: episodeId++,
            seriesId: id,
            seasonNumber,
            episodeNumber,
            monitored,
            hasFile,
            episodeFileId: hasFile ? episodeId : 0,
            qualityCutoffNotMet: hasFile && this.random() < 0.1,
            airDateUtc: iso(future ? now + episodeNumber * 7 * DAY : now - (400 - seasonNumber * 50) * DAY),
          })
        }
      }
      this.series.push(series)
    }
  }

  // -------------------------------------------------------------------------
  // Serving

  private handle(req: http.IncomingMessage, res: http.ServerResponse) {
    const chunks: Array<Buffer> = []
    req.on("data", (chunk: Buffer) => chunks.push(chunk))
    req.on("end", () => {
      const url = new URL(req.url ?? "/", "http://sim")
      const base = this.options.urlBase ?? ""
      const fullPath = url.pathname.startsWith(base) ? url.pathname.slice(base.length) : url.pathname
      const path = fullPath.replace(/^\/api\/v3/, "")
      const text = Buffer.concat(chunks).toString("utf8")
      let body: unknown
      try {
        body = text ? JSON.parse(text) : undefined
      } catch {
        body = text
      }
      const record = {
        method: req.method ?? "GET",
        path,
        query: Object.fromEntries(url.searchParams),
        headers: req.headers,
        body,
        bytesSent: 0,
      }
      this.requests.push(record)
      const send = (status: number, payload?: unknown, headers: Record<string, string> = {}) => {
        const data =
          payload === undefined
            ? ""
            : JSON.stringify(this.options.explicitNulls ? withNulls(payload) : payload, null, 2)
        record.bytesSent = Buffer.byteLength(data)
        res.writeHead(status, {
          ...(payload === undefined ? {} : this.jsonType()),
          "x-application-version": this.version,
          ...headers,
        })
        res.end(data)
      }
      if (fullPath === "/ping") return send(200, { status: "OK" })
      const answer = (): [number, unknown?] => {
        if (!fullPath.startsWith("/api/v3/")) return [404]
        const key = url.searchParams.get("apikey") ?? req.headers["x-api-key"]
        if (key !== this.apiKey) return [401]
        this.tick()
        try {
          return this.route(record.method, path, url.searchParams, body, req.headers)
        } catch (error) {
          return [500, { message: error instanceof Error ? error.message : String(error) }]
        }
      }
      const fault = this.takeFault(record.method, path)
      if (!fault) {
        const [status, payload] = answer()
        return send(status, payload)
      }
      if (fault.kind === "delay") {
        // `before`: taken now, answered late; otherwise taken (and answered) only after the delay.
        const early = fault.process === "before" ? answer() : undefined
        const timer = setTimeout(() => {
          if (res.destroyed) {
            if (!early) answer()
            return
          }
          const [status, payload] = early ?? answer()
          send(status, payload)
        }, fault.ms)
        this.timers.add(timer)
        return
      }
      if (fault.process === "before") answer()
      else if (fault.process === "after") {
        const timer = setTimeout(answer, 1000)
        this.timers.add(timer)
      }
      this.applyFault(fault, res)
    })
  }

  /** The first fault that matches the request, counted as used. */
  private takeFault(method: string, path: string): Fault | undefined {
    const fault = this.faults.find(
      (f) =>
        (f.times ?? 1) > 0 &&
        (f.method === undefined || f.method === method) &&
        (f.path === undefined || (typeof f.path === "string" ? path === f.path : f.path.test(path))),
    )
    if (fault) fault.times = (fault.times ?? 1) - 1
    return fault
  }

  private applyFault(fault: Fault, res: http.ServerResponse): void {
    switch (fault.kind) {
      case "status":
        res.writeHead(fault.status, {
          "content-type": "application/json",
          ...(fault.retryAfter ? { "retry-after": fault.retryAfter } : {}),
        })
        res.end(fault.status === 401 ? "" : JSON.stringify({ message: "injected fault" }))
        return
      case "hang":
        return
      case "reset":
        res.socket?.destroy()
        return
      case "delay":
        return
      case "body":
        res.writeHead(fault.status ?? 200, { "content-type": fault.contentType ?? "application/json" })
        res.end(fault.body)
        return
      case "redirect":
        res.writeHead(fault.status ?? 302, { location: fault.location })
        res.end()
        return
      case "malformed":
        res.writeHead(200, this.jsonType())
        res.end('{"page":1,"records":[{"id":')
        return
      case "html":
        res.writeHead(200, { "content-type": "text/html" })
        res.end("<!doctype html><html><body><form>Sign in</form></body></html>")
        return
      case "oversized": {
        const body = `{"padding":"${"x".repeat(fault.bytes)}"}`
        if (fault.chunked) {
          // No content-length: the size shows only while reading.
          res.writeHead(200, { "content-type": "application/json", "transfer-encoding": "chunked" })
          for (let i = 0; i < body.length; i += 65_536) res.write(body.slice(i, i + 65_536))
          res.end()
        } else {
          res.writeHead(200, {
            "content-type": "application/json",
            "content-length": String(Buffer.byteLength(body)),
          })
          res.end(body)
        }
        return
      }
    }
  }

  get version(): string {
    return this.options.version ?? (this.options.app === "radarr" ? "6.1.0.10300" : "4.0.19.2900")
  }

  get features(): Features {
    return featuresOf(this.options.app, this.version)
  }

  private route(
    method: string,
    path: string,
    q: URLSearchParams,
    body: unknown,
    headers: http.IncomingHttpHeaders,
  ): [number, unknown?] {
    const radarr = this.options.app === "radarr"
    const int = (name: string) => (q.has(name) ? Number(q.get(name)) : undefined)
    if (method === "GET" && path === "/system/status") {
      return [
        200,
        {
          appName: radarr ? "Radarr" : "Sonarr",
          instanceName: radarr ? "Radarr" : "Sonarr",
          version: this.version,
          urlBase: this.options.urlBase ?? "",
          isDocker: true,
          startTime: iso(Date.now()),
        },
      ]
    }
    if (method === "GET" && path === "/tag") return [200, this.tags]
    if (method === "GET" && path === "/health") return [200, this.health]
    if (method === "POST" && path === "/command") return this.postCommand(body, headers)
    if (method === "GET" && path === "/command")
      return [200, this.commands.map((c) => this.commandResource(c))]
    const commandMatch = /^\/command\/(\d+)$/.exec(path)
    if (method === "GET" && commandMatch) {
      const command = this.commands.find((c) => c.id === Number(commandMatch[1]))
      return command ? [200, this.commandResource(command)] : [404, { message: "NotFound" }]
    }
    if (method === "GET" && path === "/queue") {
      return [200, this.page(this.queue, q, "timeleft", undefined, (r) => this.queueResource(r, q))]
    }
    if (method === "GET" && path === "/queue/details") {
      const movieId = int("movieId")
      const seriesId = int("seriesId")
      return [
        200,
        this.queue
          .filter(
            (r) =>
              (movieId === undefined || r.movieId === movieId) &&
              (seriesId === undefined || r.seriesId === seriesId),
          )
          .map((r) => this.queueResource(r, q)),
      ]
    }
    if (
      this.options.eventTypeByName &&
      path.startsWith("/history") &&
      /^\d+$/.test(q.get("eventType") ?? "")
    ) {
      return [400, { message: `The value '${q.get("eventType")}' is not valid.` }]
    }
    if (method === "GET" && path === "/history/since") {
      const since = Date.parse(q.get("date") ?? "")
      const withEpisode = q.get("includeEpisode") === "true"
      return [
        200,
        this.history
          .filter((h) => Date.parse(h.date) >= since)
          .map(({ seasonNumber, ...h }) =>
            withEpisode && seasonNumber !== undefined ? { ...h, episode: { seasonNumber } } : h,
          ),
      ]
    }
    if (this.options.itemEndpoints === false && /^\/(history\/(movie|series)|series\/\d+)$/.test(path)) {
      return [404, { message: "NotFound" }]
    }
    if (method === "GET" && path === "/history/movie" && radarr) {
      return [200, this.history.filter((h) => h.movieId === int("movieId")).reverse()]
    }
    if (method === "GET" && path === "/history/series" && !radarr) {
      const seriesId = int("seriesId")
      if (!this.series.some((s) => s.id === seriesId)) return [404, { message: "NotFound" }]
      const season = int("seasonNumber")
      return [
        200,
        this.history
          .filter((h) => h.seriesId === seriesId && (season === undefined || h.seasonNumber === season))
          .map(({ seasonNumber, ...h }) =>
            q.get("includeEpisode") === "true" && seasonNumber !== undefined
              ? { ...h, episode: { seasonNumber } }
              : h,
          )
          .reverse(),
      ]
    }
    if (radarr) {
      if (method === "GET" && path === "/movie") return [200, this.movies.map((m) => this.movieResource(m))]
      const movieMatch = /^\/movie\/(\d+)$/.exec(path)
      if (method === "GET" && movieMatch) {
        const movie = this.movies.find((m) => m.id === Number(movieMatch[1]))
        return movie ? [200, this.movieResource(movie)] : [404, { message: "NotFound" }]
      }
      if (method === "GET" && (path === "/wanted/missing" || path === "/wanted/cutoff")) {
        if (this.options.wantedEndpoints === false || !this.features.wanted) return [404]
        const monitored = q.get("monitored") !== "false"
        const rows = this.movies.filter(
          (m) =>
            m.monitored === monitored &&
            (path === "/wanted/missing"
              ? m.movieFileId === 0 && m.year > 0
              : m.hasFile && m.qualityCutoffNotMet),
        )
        // Before 5.10.4 the last search time is no sort key; any unknown key sorts by title.
        const sortKey = [
          ...(this.features.lastSearchTimeField ? ["movies.lastSearchTime"] : []),
          "movieMetadata.year",
          "movieMetadata.digitalRelease",
        ].includes(q.get("sortKey") ?? "")
          ? (q.get("sortKey") as string)
          : "movieMetadata.sortTitle"
        const field = { "movies.lastSearchTime": "lastSearchTime", "movieMetadata.year": "year" }[
          sortKey as "movies.lastSearchTime"
        ]
        return [200, this.page(rows, q, sortKey, field ?? "sortTitle", (m) => this.movieResource(m))]
      }
      return [404, { message: "NotFound" }]
    }
    if (method === "GET" && path === "/series") return [200, this.series.map((s) => this.seriesResource(s))]
    const seriesMatch = /^\/series\/(\d+)$/.exec(path)
    if (method === "GET" && seriesMatch) {
      const series = this.series.find((s) => s.id === Number(seriesMatch[1]))
      return series ? [200, this.seriesResource(series)] : [404, { message: "NotFound" }]
    }
    if (method === "GET" && path === "/episode") {
      const seriesId = int("seriesId")
      const season = int("seasonNumber")
      return [
        200,
        this.episodes
          .filter((e) => e.seriesId === seriesId && (season === undefined || e.seasonNumber === season))
          .map((e) => this.episodeResource(e)),
      ]
    }
    if (method === "GET" && (path === "/wanted/missing" || path === "/wanted/cutoff")) {
      const monitored = q.get("monitored") !== "false"
      const now = Date.now()
      const byId = new Map(this.series.map((s) => [s.id, s]))
      const rows = this.episodes.filter((e) => {
        const series = byId.get(e.seriesId)!
        const isMonitored = e.monitored && series.monitored
        if (isMonitored !== monitored) return false
        return path === "/wanted/missing"
          ? !e.hasFile && e.airDateUtc !== undefined && Date.parse(e.airDateUtc) <= now
          : e.hasFile && e.qualityCutoffNotMet && e.seasonNumber > 0
      })
      const asked = q.get("sortKey") ?? "episodes.airDateUtc"
      let field: "lastSearchTime" | "airDateUtc"
      if (this.features.episodePropertySortKeys) {
        // v3: each part of the key is a property of Episode (then of Series), or the query fails.
        const [first = "", ...rest] = asked.split(".")
        const episodeProps = ["airdateutc", "lastsearchtime", "seasonnumber", "episodenumber", "title", "id"]
        if (
          !(episodeProps.includes(first.toLowerCase()) && rest.length === 0) &&
          first.toLowerCase() !== "series"
        ) {
          throw new Error(`Instance property '${first}' is not defined for type 'NzbDrone.Core.Tv.Episode'`)
        }
        field = first.toLowerCase() === "lastsearchtime" ? "lastSearchTime" : "airDateUtc"
      } else {
        // v4 maps `table.column` keys; an unknown one sorts by air date.
        field = /^(episodes\.)?lastSearchTime$/i.test(asked) ? "lastSearchTime" : "airDateUtc"
      }
      const sortKey = asked
      return [200, this.page(rows, q, sortKey, field, (e) => this.episodeResource(e))]
    }
    return [404, { message: "NotFound" }]
  }

  private page<T>(
    rows: ReadonlyArray<T>,
    q: URLSearchParams,
    sortKey: string,
    field?: string,
    render: (row: T) => unknown = (row) => row,
  ) {
    const page = Math.max(1, Number(q.get("page") ?? 1))
    const pageSize = Math.max(1, Number(q.get("pageSize") ?? 10))
    // As in the apps: an omitted sortDirection sorts descending.
    const direction = q.get("sortDirection") === "ascending" ? "ascending" : "descending"
    const sorted = [...rows]
    if (field) {
      const value = (row: T) => (row as Record<string, unknown>)[field] as string | number | undefined
      sorted.sort((a, b) => {
        const x = value(a)
        const y = value(b)
        // SQLite sorts NULL first when ascending.
        const order = x === y ? 0 : x === undefined ? -1 : y === undefined ? 1 : x < y ? -1 : 1
        return direction === "ascending" ? order : -order
      })
    }
    return {
      page,
      pageSize,
      sortKey,
      sortDirection: direction,
      totalRecords: rows.length,
      records: sorted.slice((page - 1) * pageSize, page * pageSize).map(render),
    }
  }

  private movieResource(m: Movie) {
    return {
      id: m.id,
      title: m.title,
      originalTitle: m.title,
      sortTitle: m.sortTitle,
      status: m.status,
      overview: OVERVIEW,
      year: m.year,
      hasFile: m.hasFile,
      movieFileId: m.movieFileId,
      monitored: m.monitored,
      minimumAvailability: "released",
      isAvailable: m.isAvailable,
      qualityProfileId: 1,
      tmdbId: 100_000 + m.id,
      imdbId: `tt${String(m.id).padStart(7, "0")}`,
      tags: m.tags,
      added: "2024-01-02T03:04:05Z",
      ...(m.digitalRelease ? { digitalRelease: m.digitalRelease, releaseDate: m.digitalRelease } : {}),
      ...(m.lastSearchTime && this.features.lastSearchTimeField ? { lastSearchTime: m.lastSearchTime } : {}),
      images: [{ coverType: "poster", remoteUrl: `https://image.example/${m.id}.jpg` }],
      ratings: { tmdb: { votes: 100, value: 7.1, type: "user" } },
      statistics: {
        movieFileCount: m.hasFile ? 1 : 0,
        sizeOnDisk: m.hasFile ? 4_000_000_000 : 0,
        releaseGroups: [],
      },
      ...(m.hasFile ? { movieFile: { id: m.movieFileId, qualityCutoffNotMet: m.qualityCutoffNotMet } } : {}),
    }
  }

  private seriesResource(s: Series) {
    const now = Date.now()
    return {
      id: s.id,
      title: s.title,
      sortTitle: s.sortTitle,
      status: "continuing",
      seriesType: "standard",
      monitored: s.monitored,
      tags: s.tags,
      added: "2024-01-02T03:04:05Z",
      seasons: s.seasons.map((season) => {
        const eps = this.episodesOf(s.id).filter((e) => e.seasonNumber === season.seasonNumber)
        const aired = (e: Episode) => e.airDateUtc !== undefined && Date.parse(e.airDateUtc) <= now
        return {
          seasonNumber: season.seasonNumber,
          monitored: season.monitored,
          statistics: {
            episodeFileCount: eps.filter((e) => e.hasFile).length,
            episodeCount: eps.filter((e) => (e.monitored && aired(e)) || e.hasFile).length,
            totalEpisodeCount: eps.length,
            sizeOnDisk: 0,
            releaseGroups: [],
          },
        }
      }),
    }
  }

  private episodesOf(seriesId: number): Array<Episode> {
    // Episodes are generated series by series, so each series' episodes are contiguous.
    const first = this.episodes.findIndex((e) => e.seriesId === seriesId)
    if (first === -1) return []
    let end = first
    while (end < this.episodes.length && this.episodes[end]!.seriesId === seriesId) end++
    return this.episodes.slice(first, end)
  }

  /** A queue record as the version writes it: Sonarr v3 has no `seasonNumber` (`episode` when asked). */
  private queueResource(r: QueueRecord, q: URLSearchParams) {
    const { seasonNumber, ...rest } = r
    const sonarr = this.options.app === "sonarr"
    return {
      ...rest,
      ...(sonarr && this.features.queueSeasonNumber && seasonNumber !== undefined ? { seasonNumber } : {}),
      ...(sonarr && q.get("includeEpisode") === "true" && seasonNumber !== undefined
        ? { episode: { id: r.episodeId, seriesId: r.seriesId, seasonNumber } }
        : {}),
      title: sonarr
        ? `Series.${r.seriesId}.S${String(seasonNumber ?? 0).padStart(2, "0")}`
        : `Movie.${r.movieId}`,
      size: 1_000_000_000,
      sizeleft: 500_000_000,
      trackedDownloadStatus: "ok",
      trackedDownloadState: "downloading",
      protocol: "torrent",
      downloadClient: "qBittorrent",
    }
  }

  private episodeResource(e: Episode) {
    return {
      id: e.id,
      seriesId: e.seriesId,
      tvdbId: 500_000 + e.id,
      episodeFileId: e.episodeFileId,
      seasonNumber: e.seasonNumber,
      episodeNumber: e.episodeNumber,
      title: `Episode ${e.episodeNumber}`,
      ...(e.airDateUtc ? { airDateUtc: e.airDateUtc, airDate: e.airDateUtc.slice(0, 10) } : {}),
      ...(e.lastSearchTime && this.features.lastSearchTimeField ? { lastSearchTime: e.lastSearchTime } : {}),
      runtime: 45,
      hasFile: e.hasFile,
      monitored: e.monitored,
      unverifiedSceneNumbering: false,
    }
  }

  // -------------------------------------------------------------------------
  // Commands

  private postCommand(body: unknown, headers: http.IncomingHttpHeaders): [number, unknown?] {
    if (!String(headers["content-type"] ?? "").includes("application/json")) return [415]
    const payload = (typeof body === "object" && body !== null ? body : {}) as Record<string, unknown>
    const name = typeof payload.name === "string" ? payload.name : ""
    if (name === "") return [400, [{ propertyName: "Name", errorMessage: "'Name' must not be empty." }]]
    const known = ["MoviesSearch", "SeasonSearch", "SeriesSearch", "EpisodeSearch", "MissingMoviesSearch"]
    if (!known.includes(name)) return [500, { message: "Sequence contains no matching element" }]
    const { name: _name, ...fields } = payload
    const same = (a: Record<string, unknown>, b: Record<string, unknown>) =>
      JSON.stringify(normalize(a)) === JSON.stringify(normalize(b))
    const existing = this.commands.find(
      (c) => c.name === name && (c.status === "queued" || c.status === "started") && same(c.body, fields),
    )
    if (existing) return [201, this.commandResource(existing)]
    const command: Command = { id: this.nextId++, name, body: fields, queued: Date.now(), status: "queued" }
    this.commands.push(command)
    this.tick()
    return [201, this.commandResource(command)]
  }

  private commandResource(c: Command) {
    return {
      id: c.id,
      name: c.name,
      commandName: c.name.replace(/([a-z])([A-Z])/g, "$1 $2"),
      ...(c.message ? { message: c.message } : {}),
      body: { ...c.body, name: c.name, trigger: "manual" },
      priority: "normal",
      status: c.status,
      result: c.status === "completed" ? "successful" : "unknown",
      queued: iso(c.queued),
      ...(c.started ? { started: iso(c.started) } : {}),
      ...(c.ended ? { ended: iso(c.ended) } : {}),
      trigger: "manual",
      sendUpdatesToClient: true,
      updateScheduledTask: true,
    }
  }

  /** Moves commands along their lifecycle; a finished search may grab. */
  private tick() {
    const now = Date.now()
    for (const c of this.commands) {
      if (c.status === "queued" && now >= c.queued + this.commandQueuedMs) {
        c.status = "started"
        c.started = c.queued + this.commandQueuedMs
      }
      if (c.status === "started" && now >= (c.started ?? 0) + this.commandRunMs) {
        c.ended = now
        this.finish(c)
      }
    }
  }

  private finish(c: Command) {
    const stamp = iso(Date.now())
    if (this.failCommands) {
      c.status = "failed"
      c.message = "Failed"
      return
    }
    if (c.name === "MoviesSearch") {
      const ids = (c.body.movieIds ?? c.body.MovieIds) as Array<number> | undefined
      const movies = (ids ?? []).map((id) => this.movies.find((m) => m.id === id))
      if (!ids || movies.some((m) => m === undefined) || new Set(ids).size !== ids.length) {
        c.status = "failed"
        c.message = "Failed"
        return
      }
      let grabs = 0
      for (const movie of movies as Array<Movie>) {
        movie.lastSearchTime = stamp
        if (this.random() < this.grabProbability) {
          grabs++
          const downloadId = `SABnzbd_nzo_${this.nextId++}`
          this.history.push({
            id: this.nextId++,
            movieId: movie.id,
            date: stamp,
            downloadId,
            eventType: "grabbed",
            sourceTitle: `${movie.title.replace(/ /g, ".")}.${movie.year}.1080p.WEB-DL-GRP`,
            data: { releaseSource: "UserInvokedSearch", indexer: "Sim" },
          })
          this.queue.push({ id: this.nextId++, movieId: movie.id, downloadId, status: "downloading" })
        }
      }
      c.status = "completed"
      c.message = `Completed search for ${movies.length} movies. ${grabs} reports downloaded.`
      return
    }
    if (c.name === "SeasonSearch") {
      const seriesId = c.body.seriesId as number
      const seasonNumber = (c.body.seasonNumber as number | undefined) ?? 0
      if (!this.series.some((s) => s.id === seriesId)) {
        c.status = "failed"
        c.message = "Failed"
        return
      }
      const now = Date.now()
      const wanted = this.episodesOf(seriesId).filter(
        (e) =>
          e.seasonNumber === seasonNumber &&
          e.monitored &&
          !e.hasFile &&
          e.airDateUtc !== undefined &&
          Date.parse(e.airDateUtc) <= now,
      )
      for (const e of this.episodes.filter(
        (e) => e.seriesId === seriesId && e.seasonNumber === seasonNumber,
      )) {
        e.lastSearchTime = stamp
      }
      let grabs = 0
      if (wanted.length > 0 && this.random() < this.grabProbability) {
        grabs = 1
        // A season pack: one download, one history record per episode.
        const downloadId = `qBittorrent_${this.nextId++}`
        for (const e of wanted) {
          this.history.push({
            id: this.nextId++,
            seriesId,
            episodeId: e.id,
            seasonNumber,
            date: stamp,
            downloadId,
            eventType: "grabbed",
            sourceTitle: `Series.${seriesId}.S${String(seasonNumber).padStart(2, "0")}.1080p.WEB-DL-GRP`,
            data: { releaseSource: "UserInvokedSearch", indexer: "Sim" },
          })
          this.queue.push({
            id: this.nextId++,
            seriesId,
            episodeId: e.id,
            seasonNumber,
            downloadId,
            status: "downloading",
          })
        }
      }
      c.status = "completed"
      c.message = `Season search completed. ${grabs} reports downloaded.`
      return
    }
    c.status = "completed"
    c.message = "Completed"
  }
}

const normalize = (value: Record<string, unknown>) =>
  Object.fromEntries(
    Object.entries(value)
      .map(([k, v]) => [k.toLowerCase(), Array.isArray(v) ? [...new Set(v)].sort() : v] as const)
      .sort(([a], [b]) => a.localeCompare(b)),
  )
