/** `promtool` (Debian package `prometheus`), which .ci/run installs. Elsewhere its checks skip, saying why. */
import { spawnSync } from "node:child_process"

export const hasPromtool = spawnSync("promtool", ["--version"], { stdio: "ignore" }).status === 0
if (!hasPromtool && process.env.CI)
  throw new Error("promtool is missing on CI: .ci/run installs it (apt-get install prometheus)")

/** Why a promtool check is skipped, as the test report shows it. */
export const NO_PROMTOOL = "promtool is not installed (Debian package prometheus; .ci/run installs it)"

/** Skips the calling test, with the reason, where promtool is absent. */
export const requirePromtool = (context: { skip: (note?: string) => void }) => {
  if (!hasPromtool) context.skip(NO_PROMTOOL)
}

export const promtool = (args: ReadonlyArray<string>, input?: string) =>
  spawnSync("promtool", args, { input, encoding: "utf8" })
