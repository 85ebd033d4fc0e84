import { execFileSync } from "node:child_process"
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { describe, expect, it } from "vitest"
import { tempDir } from "../support/temp.ts"

const root = join(import.meta.dirname, "..", "..")

describe("the published package", () => {
  it("importing its entry has no side effects: no environment reads, no output, no servers or timers", () => {
    const probe = `
      const reads = []
      const env = process.env
      process.env = new Proxy(env, { get(t, k) { if (typeof k === "string") reads.push(k); return Reflect.get(t, k) } })
      const written = []
      const write = process.stdout.write.bind(process.stdout)
      process.stdout.write = (chunk, ...rest) => { written.push(String(chunk)); return true }
      const before = process.getActiveResourcesInfo()
      const api = await import(${JSON.stringify(join(root, "dist", "index.js"))})
      await new Promise((r) => setImmediate(r))
      const after = process.getActiveResourcesInfo()
      process.stdout.write = write
      process.env = env
      console.log(JSON.stringify({ reads, written, before, after, exports: Object.keys(api).sort() }))
    `
    const result = JSON.parse(
      execFileSync(process.execPath, ["--input-type=module", "-e", probe], { encoding: "utf8" }),
    )
    // Node's own module loader reads these two while loading any module; nothing else is read.
    const nodeInternal = ["WATCH_REPORT_DEPENDENCIES", "NODE_V8_COVERAGE"]
    expect(result.reads.filter((k: string) => !nodeInternal.includes(k))).toEqual([])
    expect(result.written).toEqual([])
    expect(result.after).toEqual(result.before)
    expect(result.exports).toEqual(
      expect.arrayContaining([
        "GatherarrLayer",
        "GatherarrCore",
        "GatherarrConfig",
        "StateStore",
        "HttpRoutes",
        "GatherarrMetrics",
      ]),
    )
  })

  it("its declared types compile in a consumer project", () => {
    const dir = tempDir("consumer")
    mkdirSync(join(dir, "node_modules"))
    symlinkSync(root, join(dir, "node_modules", "gatherarr"))
    symlinkSync(join(root, "node_modules", "effect"), join(dir, "node_modules", "effect"))
    writeFileSync(join(dir, "package.json"), '{"type":"module"}')
    writeFileSync(
      join(dir, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          module: "NodeNext",
          moduleResolution: "NodeNext",
          target: "ES2022",
          noEmit: true,
          types: [],
        },
        files: ["consumer.ts"],
      }),
    )
    const compile = (source: string) => {
      writeFileSync(join(dir, "consumer.ts"), source)
      try {
        execFileSync(process.execPath, [join(root, "node_modules", "typescript", "bin", "tsc"), "-p", dir], {
          encoding: "utf8",
        })
        return ""
      } catch (error) {
        return String((error as { stdout: string }).stdout)
      }
    }
    const consumer = `
      import * as Effect from "effect/Effect"
      import * as Layer from "effect/Layer"
      import { GatherarrConfig, GatherarrCore, GatherarrLayer, GatherarrMetrics, Scheduler, StateStore, type GatherarrSettings } from "gatherarr"
      const settings: GatherarrSettings = GatherarrConfig.make({ dryRun: true })
      export const app = GatherarrCore.pipe(
        Layer.provide(Layer.merge(StateStore.layerMemory(), GatherarrMetrics.layer)),
        Layer.provide(GatherarrConfig.layerFrom(settings)),
      )
      export const defaults = GatherarrLayer
      export const health = Effect.flatMap(Scheduler, (s) => s.health)
    `
    expect(compile(consumer)).toBe("")
    // And a misuse is caught, so the check is real.
    expect(compile(`${consumer}\nconst n: number = GatherarrConfig.make()`)).toMatch(/error TS2322/)
    // Two full type checks: about 20 s on an idle 2-core machine, several times that on a loaded one.
  }, 180_000)
})
