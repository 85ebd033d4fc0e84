/** `promtool` (Debian package `prometheus`), which .ci/run installs. Elsewhere its checks skip. */
import { spawnSync } from "node:child_process"

export const hasPromtool = spawnSync("promtool", ["--version"], { stdio: "ignore" }).status === 0
if (!hasPromtool && process.env.CI)
  throw new Error("promtool is missing on CI: .ci/run installs it (apt-get install prometheus)")

export const promtool = (args: ReadonlyArray<string>, input?: string) =>
  spawnSync("promtool", args, { input, encoding: "utf8" })
