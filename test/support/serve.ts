/**
 * Serves a simulated Radarr and Sonarr until stopped, for the container test and manual poking:
 *   node dist/simulator.js [radarrPort] [sonarrPort]
 * Prints one JSON line with both URLs and the API key.
 */
import { Simulator } from "./simulator.ts"

const [radarrPort = "0", sonarrPort = "0"] = process.argv.slice(2)
const apiKey = process.env.SIM_API_KEY ?? "demo-api-key"
const radarr = await Simulator.start({
  app: "radarr",
  apiKey,
  port: Number(radarrPort),
  movies: 300,
  grabProbability: 0.4,
})
const sonarr = await Simulator.start({
  app: "sonarr",
  apiKey,
  port: Number(sonarrPort),
  series: 40,
  grabProbability: 0.4,
})
process.stdout.write(`${JSON.stringify({ radarr: radarr.url, sonarr: sonarr.url, apiKey })}\n`)
const stop = async () => {
  await Promise.all([radarr.close(), sonarr.close()])
  process.exit(0)
}
process.on("SIGTERM", stop)
process.on("SIGINT", stop)
