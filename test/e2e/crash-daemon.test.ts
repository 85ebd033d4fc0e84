import { existsSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { afterEach, describe, expect, it } from "vitest"
import { decode } from "../../src/StateFile.ts"
import { cleanupList, daemonEnv, waitForStatus } from "../support/process.ts"
import { Simulator } from "../support/simulator.ts"

const cleanup = cleanupList()
afterEach(cleanup.run)

describe("crash consistency of the daemon", () => {
  it("SIGKILL at random points across many runs: the state always loads and holds every search logged as sent", async () => {
    const radarr = await Simulator.start({
      app: "radarr",
      movies: 200,
      commandRunMs: 150,
      grabProbability: 0.5,
    })
    const sonarr = await Simulator.start({
      app: "sonarr",
      series: 20,
      commandRunMs: 150,
      grabProbability: 0.5,
    })
    cleanup.push(
      () => radarr.close(),
      () => sonarr.close(),
    )
    const { env, dir, base } = await daemonEnv(radarr, sonarr, {
      GATHERARR_MAX_SEARCHES_PER_RUN: "50",
      GATHERARR_MAX_SEARCHES_PER_HOUR: "10000",
      GATHERARR_CONCURRENCY: "4",
    })
    const path = join(dir, "state.json")
    const sent = new Set<string>()
    for (let i = 0; i < 12; i++) {
      const gatherarr = cleanup.launch(env)
      // Kills land in start-up (i % 4 = 0), in a run once the daemon is up (2), and just after a
      // search was sent (1, 3): points a loaded machine's slow start-up cannot move out of reach.
      if (i % 4 === 2) await waitForStatus(`${base}/health`, 200, 30_000)
      if (i % 2 === 1) await gatherarr.waitFor((l) => l.message === "search command sent", 30_000)
      await new Promise((r) => setTimeout(r, (i % 2 === 1 ? 0 : 250) + Math.random() * 700))
      gatherarr.child.kill("SIGKILL")
      await gatherarr.exited
      for (const line of gatherarr.logs().filter((l) => l.message === "search command sent")) {
        sent.add(
          line.movie_id !== undefined
            ? `movie:${line.movie_id}`
            : `series:${line.series_id}:season:${line.season_number}`,
        )
      }
      if (!existsSync(path)) continue
      const result = decode(readFileSync(path, "utf8"))
      if (result._tag !== "Ok")
        throw new Error(`kill ${i}: the state does not load: ${JSON.stringify(result)}`)
      const recorded = new Set([
        ...Object.keys(result.state.targets.movies?.items ?? {}),
        ...Object.keys(result.state.targets.tv?.items ?? {}),
      ])
      for (const key of sent)
        expect(recorded.has(key), `${key} was logged as sent but is not in the state`).toBe(true)
    }
    expect(sent.size).toBeGreaterThan(5)
  }, 120_000)
})
