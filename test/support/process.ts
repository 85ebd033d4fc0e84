/** Runs the built `dist/main.js` as a child process, as users do, and watches its output. */
import { type ChildProcess, spawn } from "node:child_process"
import { existsSync } from "node:fs"
import { createServer } from "node:net"
import { join } from "node:path"
import type { Simulator } from "./simulator.ts"
import { tempDir } from "./temp.ts"

export const MAIN = join(import.meta.dirname, "..", "..", "dist", "main.js")

export const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = createServer()
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      server.close(() =>
        typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port")),
      )
    })
  })

/**
 * The environment of a daemon with two targets, `movies` (the Radarr) and `tv` (the Sonarr), a
 * fresh state directory, a free port and fast timings; `extra` overrides.
 */
export const daemonEnv = async (radarr: Simulator, sonarr: Simulator, extra: Record<string, string> = {}) => {
  const dir = tempDir("e2e")
  const port = await freePort()
  return {
    dir,
    base: `http://127.0.0.1:${port}`,
    env: {
      GATHERARR_TARGETS: "movies:radarr,tv:sonarr",
      GATHERARR_TARGET_MOVIES_URL: radarr.url,
      GATHERARR_TARGET_MOVIES_API_KEY: radarr.apiKey,
      GATHERARR_TARGET_TV_URL: sonarr.url,
      GATHERARR_TARGET_TV_API_KEY: sonarr.apiKey,
      GATHERARR_MAX_SEARCHES_PER_RUN: "2",
      GATHERARR_COMMAND_POLL_INTERVAL: "50ms",
      GATHERARR_RETRY_BASE_DELAY: "50ms",
      GATHERARR_RETRY_MAX_DELAY: "200ms",
      GATHERARR_STATE_PATH: join(dir, "state.json"),
      GATHERARR_HTTP_HOST: "127.0.0.1",
      GATHERARR_HTTP_PORT: String(port),
      GATHERARR_SHUTDOWN_TIMEOUT: "3s",
      ...extra,
    } as Record<string, string>,
  }
}

export interface Running {
  readonly child: ChildProcess
  readonly stdout: Array<string>
  readonly stderr: Array<string>
  /** Parsed stdout lines (every stdout line must be JSON). */
  readonly logs: () => Array<Record<string, unknown>>
  readonly waitFor: (
    predicate: (line: Record<string, unknown>) => boolean,
    timeoutMs?: number,
  ) => Promise<Record<string, unknown>>
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>
}

export const startMain = (env: Record<string, string>, main = MAIN): Running => {
  if (!existsSync(main)) throw new Error(`${main} is missing: run npm run build first`)
  const child = spawn(process.execPath, [main], {
    env: { PATH: process.env.PATH ?? "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  })
  const stdout: Array<string> = []
  const stderr: Array<string> = []
  const waiters: Array<() => void> = []
  const collect = (into: Array<string>) => {
    let buffer = ""
    return (chunk: Buffer) => {
      buffer += chunk.toString("utf8")
      const lines = buffer.split("\n")
      buffer = lines.pop() ?? ""
      into.push(...lines)
      for (const w of waiters) w()
    }
  }
  child.stdout.on("data", collect(stdout))
  child.stderr.on("data", collect(stderr))
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) =>
    child.on("exit", (code, signal) => resolve({ code, signal, at: Date.now() })),
  )
  const logs = () =>
    stdout.filter((l) => l.trim() !== "").map((l) => JSON.parse(l) as Record<string, unknown>)
  const waitFor = (predicate: (line: Record<string, unknown>) => boolean, timeoutMs = 15_000) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const check = () => {
        const found = logs().find(predicate)
        if (found) {
          clearTimeout(timer)
          resolve(found)
        }
      }
      const timer = setTimeout(
        () =>
          reject(
            new Error(
              `no such log line within ${timeoutMs} ms; stdout:\n${stdout.join("\n")}\nstderr:\n${stderr.join("\n")}`,
            ),
          ),
        timeoutMs,
      )
      waiters.push(check)
      void exited.then(() => {
        check()
        clearTimeout(timer)
        reject(
          new Error(
            `exited before such a log line; stdout:\n${stdout.join("\n")}\nstderr:\n${stderr.join("\n")}`,
          ),
        )
      })
      check()
    })
  return { child, stdout, stderr, logs, waitFor, exited }
}

/**
 * Cleanup steps for a test file: register with `push`, run (last first) by `run` in `afterEach`.
 * `launch` starts dist/main.js and makes sure it is gone after the test.
 */
export const cleanupList = () => {
  const steps: Array<() => Promise<unknown>> = []
  return {
    push: (...more: Array<() => Promise<unknown>>) => steps.push(...more),
    run: async () => {
      for (const step of steps.reverse()) await step()
      steps.length = 0
    },
    launch: (env: Record<string, string>, main = MAIN) => {
      const running = startMain(env, main)
      steps.push(async () => {
        if (running.child.exitCode === null && running.child.signalCode === null)
          running.child.kill("SIGKILL")
        await running.exited
      })
      return running
    },
  }
}

/** Polls a URL until it answers with the status. */
export const waitForStatus = async (url: string, status: number, timeoutMs = 15_000) => {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    try {
      const response = await fetch(url)
      if (response.status === status) return response
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${url} did not answer ${status} within ${timeoutMs} ms`)
    await new Promise((r) => setTimeout(r, 50))
  }
}
