// biome-ignore-all lint/performance/useDomNodeTextContent: Playwright's innerText is the text a user sees, not the DOM API
/**
 * The status page in a real browser: the daemon (dist/main.js) against the simulator, `/` opened in
 * headless Chromium, what it shows checked against `/api/status`, a screenshot saved under
 * test-results/. Skipped, saying why, where Chromium is absent.
 */
import { mkdirSync } from "node:fs"
import { join } from "node:path"
import { afterEach, describe, expect, it } from "vitest"
import type { StatusJson } from "../../src/Status.ts"
import { hasChromium, launchBrowser, NO_CHROMIUM } from "../support/browser.ts"
import { cleanupList, daemonEnv, waitForStatus } from "../support/process.ts"
import { Simulator } from "../support/simulator.ts"

const KEY = "br0wser-KEY-51ac"
const ARTEFACTS = join(import.meta.dirname, "..", "..", "test-results", "status-page")

const cleanup = cleanupList()
afterEach(cleanup.run)

describe("the status page in a browser", () => {
  it("shows the targets, the backlog and the latest searches, in light and dark; no key", async (context) => {
    if (!hasChromium) context.skip(NO_CHROMIUM)
    const radarr = await Simulator.start({ app: "radarr", apiKey: KEY, movies: 40, grabProbability: 0.5 })
    const sonarr = await Simulator.start({ app: "sonarr", apiKey: KEY, series: 6, grabProbability: 0.5 })
    cleanup.push(
      () => radarr.close(),
      () => sonarr.close(),
    )
    const { env, base } = await daemonEnv(radarr, sonarr, { GATHERARR_MAX_SEARCHES_PER_RUN: "3" })
    const gatherarr = cleanup.launch(env)
    await gatherarr.waitFor(
      () => gatherarr.logs().filter((l) => l.result === "grabbed" || l.result === "not_found").length >= 6,
    )
    await waitForStatus(`${base}/health`, 200)
    const status = (await (await fetch(`${base}/api/status`)).json()) as StatusJson
    const browser = await launchBrowser()
    cleanup.push(() => browser.close())
    const page = await browser.newPage()
    await page.setViewportSize({ width: 390, height: 1200 })
    const response = await page.goto(`${base}/`)
    expect(response?.status()).toBe(200)
    expect(await page.title()).toBe("Gatherarr")
    for (const target of status.targets) {
      const card = page.locator(`#target-${target.name}`)
      await expect.poll(() => card.isVisible()).toBe(true)
      const text = await card.innerText()
      expect(text).toContain(target.type)
      expect(text).toContain(target.appVersion!)
      expect(await card.locator(".wanted").innerText()).toMatch(
        new RegExp(`^${(target.wanted.missing ?? 0).toLocaleString("en")} missing`),
      )
      expect(await card.locator(".searched").innerText()).toBe(String(target.searchedWithinCooldown))
    }
    const rows = page.locator("#recent tbody tr")
    expect(await rows.count()).toBe(6)
    const firstTitle = await rows.first().locator("td.title").innerText()
    expect(firstTitle).toBe(status.recentSearches[0]!.title)
    expect(await page.locator("#hourly").innerText()).toBe("Searches in the last hour: 6 of 30")
    // No script runs on it, nothing is fetched from elsewhere.
    expect(await page.locator("script").count()).toBe(0)
    const html = await page.content()
    expect(html).not.toContain(KEY)
    mkdirSync(ARTEFACTS, { recursive: true })
    await page.screenshot({ path: join(ARTEFACTS, "status-light.png"), fullPage: true })
    await page.emulateMedia({ colorScheme: "dark" })
    const background = await page.evaluate("getComputedStyle(document.body).backgroundColor")
    expect(background).toBe("rgb(20, 20, 23)")
    await page.screenshot({ path: join(ARTEFACTS, "status-dark.png"), fullPage: true })
  }, 60_000)
})
