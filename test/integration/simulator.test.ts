import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { Simulator } from "../support/simulator.ts"

/** The simulator's own fidelity to ../shared/arr-api, checked over plain HTTP. */
let radarr: Simulator
beforeAll(async () => {
  radarr = await Simulator.start({
    app: "radarr",
    apiKey: "sim-key",
    movies: 50,
    commandQueuedMs: 50,
    commandRunMs: 100,
    urlBase: "/radarr",
  })
})
afterAll(() => radarr.close())

const api = (path: string, init: RequestInit = {}, key: string | null = "sim-key") =>
  fetch(`${radarr.url}/api/v3${path}`, {
    ...init,
    headers: { ...(key ? { "x-api-key": key } : {}), ...(init.headers ?? {}) },
  })

describe("simulator", () => {
  it("answers a bad or missing key with 401 and an empty body; accepts the apikey query parameter; /ping is anonymous", async () => {
    for (const key of [null, "wrong"]) {
      const response = await api("/system/status", {}, key)
      expect(response.status).toBe(401)
      expect(await response.text()).toBe("")
    }
    expect((await fetch(`${radarr.url}/api/v3/system/status?apikey=sim-key`)).status).toBe(200)
    expect(await (await fetch(`${radarr.url}/ping`)).json()).toEqual({ status: "OK" })
  })

  it("pages and sorts wanted lists; an omitted sortDirection sorts descending", async () => {
    type Page = { records: Array<{ year: number }>; sortDirection: string; totalRecords: number }
    const page = async (query: string) => (await (await api(`/wanted/missing?${query}`)).json()) as Page
    const asc = await page("page=1&pageSize=5&sortKey=movieMetadata.year&sortDirection=ascending")
    const desc = await page("page=1&pageSize=5&sortKey=movieMetadata.year")
    expect(asc.records).toHaveLength(5)
    expect(asc.sortDirection).toBe("ascending")
    expect(desc.sortDirection).toBe("descending")
    const years = (p: Page) => p.records.map((r) => r.year)
    expect(years(asc)).toEqual([...years(asc)].sort((a, b) => a - b))
    expect(years(desc)).toEqual([...years(desc)].sort((a, b) => b - a))
    expect(asc.totalRecords).toBe(radarr.movies.filter((m) => m.monitored && !m.hasFile).length)
  })

  it("commands: 201, queued -> started -> completed, identical ones in flight de-duplicated, 415 without JSON", async () => {
    const movie = radarr.movies.find((m) => !m.hasFile)!
    const post = () =>
      api("/command", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ name: "MoviesSearch", movieIds: [movie.id] }),
      })
    type Command = { id: number; status: string; message?: string }
    const command = async (response: Promise<Response>) => (await (await response).json()) as Command
    const first = await post()
    expect(first.status).toBe(201)
    const created = (await first.json()) as Command
    expect(created.status).toBe("queued")
    expect((await command(post())).id).toBe(created.id)
    await new Promise((r) => setTimeout(r, 80))
    expect((await command(api(`/command/${created.id}`))).status).toBe("started")
    await new Promise((r) => setTimeout(r, 120))
    const done = await command(api(`/command/${created.id}`))
    expect(done.status).toBe("completed")
    expect(done.message).toMatch(/^Completed search for 1 movies\. \d reports downloaded\.$/)
    expect((await command(post())).id).not.toBe(created.id)
    expect((await api("/command", { method: "POST", body: "{}" })).status).toBe(415)
    expect((await api("/command/99999")).status).toBe(404)
  })
})
