/**
 * `npm run demo`: a simulated Radarr and Sonarr with generated libraries, and Gatherarr against them
 * with short intervals. Ctrl-C stops both.
 */
import { spawn } from "node:child_process"
import { mkdirSync } from "node:fs"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import { Simulator } from "../test/support/simulator.ts"

const here = dirname(fileURLToPath(import.meta.url))
const apiKey = "demo-api-key"
const radarr = await Simulator.start({
  app: "radarr",
  apiKey,
  movies: 500,
  grabProbability: 0.4,
  commandRunMs: 1500,
})
const sonarr = await Simulator.start({
  app: "sonarr",
  apiKey,
  series: 60,
  grabProbability: 0.4,
  commandRunMs: 2500,
})
const stateDir = join(process.cwd(), "data", "demo")
mkdirSync(stateDir, { recursive: true })
const port = process.env.GATHERARR_HTTP_PORT ?? "9477"

process.stderr.write(
  [
    `Gatherarr demo: the status page is http://127.0.0.1:${port}/`,
    `  simulated Radarr: ${radarr.url}   simulated Sonarr: ${sonarr.url}`,
    `  status JSON: http://127.0.0.1:${port}/api/status   metrics: http://127.0.0.1:${port}/metrics   health: http://127.0.0.1:${port}/health`,
    `  state:   ${join(stateDir, "state.json")}`,
    "  Runs every minute, 3 searches per target per run. Ctrl-C to stop.",
    "",
  ].join("\n"),
)

const child = spawn(process.execPath, [join(here, "main.js")], {
  stdio: "inherit",
  env: {
    ...process.env,
    GATHERARR_TARGETS: "movies:radarr,tv:sonarr",
    GATHERARR_TARGET_MOVIES_URL: radarr.url,
    GATHERARR_TARGET_MOVIES_API_KEY: apiKey,
    GATHERARR_TARGET_TV_URL: sonarr.url,
    GATHERARR_TARGET_TV_API_KEY: apiKey,
    GATHERARR_INTERVAL: process.env.GATHERARR_INTERVAL ?? "1m",
    GATHERARR_MAX_SEARCHES_PER_RUN: process.env.GATHERARR_MAX_SEARCHES_PER_RUN ?? "3",
    GATHERARR_COMMAND_POLL_INTERVAL: "500ms",
    GATHERARR_STATE_PATH: join(stateDir, "state.json"),
    GATHERARR_HTTP_HOST: "127.0.0.1",
    GATHERARR_HTTP_PORT: port,
  },
})
const forward = (signal: NodeJS.Signals) => () => child.kill(signal)
process.on("SIGINT", forward("SIGTERM"))
process.on("SIGTERM", forward("SIGTERM"))
child.on("exit", async (code) => {
  await Promise.all([radarr.close(), sonarr.close()])
  process.exit(code ?? 0)
})
