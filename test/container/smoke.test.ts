/**
 * Builds the real Dockerfile and runs the image as users do: one Radarr and one Sonarr target (the
 * simulator, on the host), a mounted state directory, SIGTERM via `stop`, a restart.
 * Started by `npm run test:container` (scripts/test-container.mjs), which picks the engine (docker,
 * or podman with a local base image) and says what is missing where none can build the image.
 */
import { execFileSync, spawnSync } from "node:child_process"
import { chmodSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { decode } from "../../src/StateFile.ts"
import { freePort, waitForStatus } from "../support/process.ts"
import { Simulator } from "../support/simulator.ts"
import { tempDir } from "../support/temp.ts"

const root = join(import.meta.dirname, "..", "..")
const KEY = "container-KEY-5e1f0a"
const UID = 65532

const engine = process.env.GATHERARR_CONTAINER_ENGINE
if (engine !== "docker" && engine !== "podman") {
  throw new Error("run the container test with npm run test:container (it picks the engine)")
}
const base = process.env.GATHERARR_CONTAINER_BASE
const run = (...args: Array<string>) =>
  execFileSync(engine, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] })
const tryRun = (...args: Array<string>) => spawnSync(engine, args, { encoding: "utf8" })

let radarr: Simulator
let sonarr: Simulator
// Names of this run only: two runs on one machine never share an image or a container.
const image = `gatherarr:smoke-${process.pid}`
const names: Array<string> = []

beforeAll(async () => {
  run(
    "build",
    ...(engine === "podman" ? ["--format", "docker", "--network", "host"] : []),
    ...(base ? ["--build-arg", `NODE_IMAGE=${base}`] : []),
    "-t",
    image,
    root,
  )
  radarr = await Simulator.start({ app: "radarr", apiKey: KEY, movies: 40, grabProbability: 0.5 })
  sonarr = await Simulator.start({ app: "sonarr", apiKey: KEY, series: 6, grabProbability: 0.5 })
}, 600_000)

afterAll(async () => {
  for (const name of names) tryRun("rm", "-f", name)
  tryRun("rmi", "-f", image)
  await radarr?.close()
  await sonarr?.close()
})

const start = (name: string, stateDir: string, port: number) => {
  names.push(name)
  return run(
    "run",
    "-d",
    "--name",
    name,
    "--network",
    "host",
    "-v",
    `${stateDir}:/data`,
    "-e",
    "GATHERARR_TARGETS=movies:radarr,tv:sonarr",
    "-e",
    `GATHERARR_TARGET_MOVIES_URL=${radarr.url}`,
    "-e",
    `GATHERARR_TARGET_MOVIES_API_KEY=${KEY}`,
    "-e",
    `GATHERARR_TARGET_TV_URL=${sonarr.url}`,
    "-e",
    `GATHERARR_TARGET_TV_API_KEY=${KEY}`,
    "-e",
    "GATHERARR_MAX_SEARCHES_PER_RUN=2",
    "-e",
    "GATHERARR_COMMAND_POLL_INTERVAL=100ms",
    "-e",
    `GATHERARR_HTTP_PORT=${port}`,
    "-e",
    "GATHERARR_LOG_LEVEL=debug",
    image,
  ).trim()
}

/** The container's state file, copied out by the engine (the file belongs to the image's user, 0600). */
const stateOf = (name: string) => {
  const copy = join(tempDir("container-copy"), "state.json")
  run("cp", `${name}:/data/state.json`, copy)
  return readFileSync(copy, "utf8")
}

const logsOf = (name: string) =>
  tryRun("logs", name)
    .stdout.split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as Record<string, unknown>)

const waitUntil = async (check: () => boolean, timeoutMs = 30_000) => {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > deadline) throw new Error("condition not reached in time")
    await new Promise((r) => setTimeout(r, 200))
  }
}

const outcomes = (name: string) =>
  logsOf(name).filter((l) => l.result === "grabbed" || l.result === "not_found")

describe(`container image (${engine})`, () => {
  it("runs a cycle as non-root, writes state to the volume, serves /metrics and /health, stops on SIGTERM, recovers", async () => {
    const stateDir = tempDir("container")
    // Writable by the image's user whatever the host's user is (chown would need root).
    chmodSync(stateDir, 0o777)
    const port = await freePort()
    const name = `gatherarr-smoke-${process.pid}`
    start(name, stateDir, port)

    await waitUntil(() => outcomes(name).length >= 4)
    const health = await waitForStatus(`http://127.0.0.1:${port}/health`, 200)
    expect(await health.text()).toBe("OK")
    // The image's Node accepts the code cache that the image's build wrote.
    expect(logsOf(name).find((l) => l.message === "starting")).toMatchObject({ code_cache: "accepted" })
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text()
    expect(metrics).toContain('gatherarr_run_total{target="movies",type="radarr",status="success"} 1')
    expect(metrics).toContain('gatherarr_run_total{target="tv",type="sonarr",status="success"} 1')
    expect(run("exec", name, "node", "-e", "console.log(process.getuid()+':'+process.getgid())").trim()).toBe(
      `${UID}:${UID}`,
    )

    const stopped = Date.now()
    run("stop", "-t", "10", name)
    expect(Date.now() - stopped).toBeLessThan(9000)
    expect(run("inspect", "--format", "{{.State.ExitCode}}", name).trim()).toBe("0")

    const state = decode(stateOf(name))
    if (state._tag !== "Ok") throw new Error("the state file does not load")
    expect(state.state.searches).toHaveLength(4)
    expect(Object.keys(state.state.targets.movies!.items)).toHaveLength(2)
    expect(Object.keys(state.state.targets.tv!.items)).toHaveLength(2)
    const before = radarr.commandBodies.map((b) => JSON.stringify(b))

    // A restart recovers the state: the same movies are not searched again.
    run("start", name)
    await waitUntil(
      () => logsOf(name).filter((l) => l.result === "grabbed" || l.result === "not_found").length >= 8,
    )
    run("stop", "-t", "10", name)
    const after = radarr.commandBodies.slice(before.length).map((b) => JSON.stringify(b))
    expect(after).toHaveLength(2)
    for (const body of after) expect(before).not.toContain(body)
    const recovered = decode(stateOf(name))
    expect(recovered._tag === "Ok" && recovered.state.totalRuns).toBe(4)
    expect(tryRun("logs", name).stdout + tryRun("logs", name).stderr).not.toContain(KEY)
  })

  it("exits at once with a clear error when the state directory is not writable", async () => {
    const stateDir = tempDir("container-ro")
    const name = `gatherarr-smoke-ro-${process.pid}`
    start(name, stateDir, await freePort())
    await waitUntil(() => run("inspect", "--format", "{{.State.Status}}", name).trim() === "exited")
    expect(run("inspect", "--format", "{{.State.ExitCode}}", name).trim()).toBe("1")
    const error = logsOf(name).find((l) => l.level === "error")
    expect(error?.error).toMatch(
      /GATHERARR_STATE_PATH: the directory \/data is not writable .* by uid 65532; fix its owner \(chown\) or run as a user/,
    )
  })
})
