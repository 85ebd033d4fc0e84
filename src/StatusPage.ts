/**
 * The status page (`GET /`): one server-rendered HTML page from the JSON status. No JavaScript and
 * no external asset (homelabs are often offline); it follows the browser's light or dark scheme,
 * fits a phone, and refreshes itself every 30 s. Every text from outside (titles, errors, names) is
 * HTML-escaped.
 */
import type { StatusJson, TargetStatus } from "./Status.ts"

/** Text as HTML: `&`, `<`, `>`, `"` and `'` escaped. */
export const escapeHtml = (text: string): string =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!,
  )

/** Refresh period of the page, seconds. */
export const REFRESH_SECONDS = 30

const when = (iso: string | null, now: number) => {
  if (iso === null) return "—"
  const ms = Date.parse(iso) - now
  const words = duration(Math.abs(ms))
  return `<time datetime="${escapeHtml(iso)}" title="${escapeHtml(iso)}">${ms >= 0 ? `in ${words}` : `${words} ago`}</time>`
}

const duration = (ms: number) => {
  const minutes = Math.round(ms / 60_000)
  if (minutes < 1) return `${Math.max(0, Math.round(ms / 1000))} s`
  if (minutes < 60) return `${minutes} min`
  const hours = Math.round(minutes / 60)
  return hours < 48 ? `${hours} h` : `${Math.round(hours / 24)} days`
}

/** A whole number with thousands separators (not toLocaleString: no locale data is loaded for it). */
const count = (n: number | null) => (n === null ? "—" : String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ","))

const pass = (hours: number | null) =>
  hours === null ? "—" : hours < 48 ? `${hours} h` : `${count(Math.round(hours / 24))} days`

/** The wanted lists the target searches, with their sizes (— until a run has read one). */
const wantedText = (t: TargetStatus) =>
  t.search
    .map((mode) =>
      mode === "missing" ? `${count(t.wanted.missing)} missing` : `${count(t.wanted.cutoff)} below cutoff`,
    )
    .join(", ")

const statusBadge = (t: TargetStatus) => {
  if (t.running) return '<span class="badge run">running</span>'
  if (t.indexersUnavailable) return '<span class="badge bad">no indexer can search</span>'
  if (t.lastStatus === "failure") return '<span class="badge bad">failing</span>'
  if (t.lastStatus === "success") return '<span class="badge ok">ok</span>'
  return '<span class="badge">not run yet</span>'
}

const targetCard = (t: TargetStatus, now: number) => `
<section class="card" id="target-${escapeHtml(t.name)}">
  <h2>${escapeHtml(t.name)} <small>${escapeHtml(t.type)}${t.appVersion ? ` ${escapeHtml(t.appVersion)}` : ""}</small> ${statusBadge(t)}</h2>
  <dl>
    <dt>Last run</dt><dd>${when(t.lastRunAt, now)}${t.lastStatus ? ` (${t.lastStatus})` : ""}</dd>
    <dt>Next run</dt><dd>${when(t.nextRunAt, now)}</dd>
    <dt>Consecutive failures</dt><dd class="failures">${t.consecutiveFailures}</dd>
    ${t.lastError ? `<dt>Last error</dt><dd class="error">${escapeHtml(t.lastError)}</dd>` : ""}
    <dt>Wanted</dt><dd class="wanted">${wantedText(t)}</dd>
    <dt>Searched within cooldown</dt><dd class="searched">${count(t.searchedWithinCooldown)}</dd>
    <dt>One full pass</dt><dd class="pass">${pass(t.fullPassHours)} <small>(${t.maxSearchesPerRun} per run, every ${duration(t.intervalSeconds * 1000)})</small></dd>
  </dl>
</section>`

const recentRow = (r: StatusJson["recentSearches"][number], now: number) => `
    <tr><td>${when(r.at, now)}</td><td>${escapeHtml(r.target)}</td><td class="title">${escapeHtml(r.title)}</td><td class="result ${escapeHtml(r.result)}">${escapeHtml(r.result.replace("_", " "))}</td><td>${r.grabs}</td></tr>`

const STYLE = `
:root { color-scheme: light dark; --bg: #f7f7f8; --fg: #1d1d20; --card: #fff; --muted: #666; --line: #e2e2e6; --ok: #1a7f37; --bad: #c62828; --run: #0b61c4; }
@media (prefers-color-scheme: dark) { :root { --bg: #141417; --fg: #e8e8ea; --card: #1e1e23; --muted: #9a9aa3; --line: #2e2e35; --ok: #4caf50; --bad: #ef5350; --run: #64b5f6; } }
* { box-sizing: border-box; }
body { margin: 0; padding: 1rem; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; background: var(--bg); color: var(--fg); }
header, main { max-width: 64rem; margin: 0 auto; }
header p { color: var(--muted); margin: .25rem 0 1rem; }
h1 { font-size: 1.4rem; margin: 0; }
h2 { font-size: 1.1rem; margin: 0 0 .5rem; }
h2 small, dd small { color: var(--muted); font-weight: normal; }
.cards { display: grid; gap: .75rem; grid-template-columns: repeat(auto-fit, minmax(18rem, 1fr)); margin-bottom: 1.25rem; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: .5rem; padding: .75rem 1rem; }
dl { display: grid; grid-template-columns: auto 1fr; gap: .2rem .75rem; margin: 0; }
dt { color: var(--muted); } dd { margin: 0; overflow-wrap: anywhere; }
.error { color: var(--bad); }
.badge { font-size: .75rem; border: 1px solid currentColor; border-radius: 1rem; padding: 0 .5rem; vertical-align: middle; color: var(--muted); }
.badge.ok { color: var(--ok); } .badge.bad { color: var(--bad); } .badge.run { color: var(--run); }
.limits { display: flex; flex-wrap: wrap; gap: .5rem 1.5rem; margin-bottom: 1rem; }
table { width: 100%; border-collapse: collapse; background: var(--card); border: 1px solid var(--line); border-radius: .5rem; }
th, td { text-align: left; padding: .35rem .6rem; border-bottom: 1px solid var(--line); vertical-align: top; }
td.title { overflow-wrap: anywhere; }
.result.grabbed { color: var(--ok); } .result.failed, .result.timeout { color: var(--bad); }
@media (max-width: 40rem) { th:nth-child(2), td:nth-child(2) { display: none; } }
`

/** The page for this status, at `now`. */
export const renderStatusPage = (status: StatusJson, now: number): string => `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="refresh" content="${REFRESH_SECONDS}">
<title>Gatherarr</title>
<style>${STYLE}</style>
</head>
<body>
<header>
  <h1>Gatherarr</h1>
  <p>Version ${escapeHtml(status.gatherarr)} · read-only · refreshes every ${REFRESH_SECONDS} s${status.dryRun ? " · <strong>dry run</strong>: nothing is sent" : ""}</p>
</header>
<main>
  <div class="limits">
    <span id="hourly">Searches in the last hour: <strong>${status.searchesLastHour}</strong> of ${status.maxSearchesPerHour}</span>
    <span id="inflight">In flight: <strong>${status.inFlight}</strong> of ${status.concurrency}</span>
    <span>Wanted: <strong>${count(status.summary.wanted)}</strong></span>
  </div>
  <div class="cards">${status.targets.map((t) => targetCard(t, now)).join("")}
  </div>
  <h2>Latest searches</h2>
  ${
    status.recentSearches.length === 0
      ? "<p>No search yet.</p>"
      : `<table id="recent">
    <thead><tr><th>When</th><th>Target</th><th>Item</th><th>Result</th><th>Grabs</th></tr></thead>
    <tbody>${status.recentSearches.map((r) => recentRow(r, now)).join("")}
    </tbody>
  </table>`
  }
</main>
</body>
</html>
`
