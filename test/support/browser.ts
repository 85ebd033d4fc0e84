/**
 * Debian's Chromium (package `chromium`, which .ci/run installs) driven by playwright-core, never a
 * downloaded browser. Elsewhere the browser tests skip, saying why.
 */
import { existsSync } from "node:fs"
import { chromium } from "playwright-core"
import { tempDir } from "./temp.ts"

export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium"
export const hasChromium = existsSync(CHROMIUM)
/** Why a browser test is skipped, as the test report shows it. */
export const NO_CHROMIUM = `no Chromium at ${CHROMIUM} (Debian package chromium; .ci/run installs it)`

/** A headless Chromium with a fresh profile; close it when done. */
export const launchBrowser = () =>
  chromium.launchPersistentContext(tempDir("chromium"), {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--disable-quic",
    ],
  })
