/**
 * The process's stop signals (SIGTERM, SIGINT, SIGHUP), caught from the first line of the daemon's
 * code: main.ts imports this module before anything else. The first signal goes to the daemon's
 * handlers (graceful shutdown, and its deadline), or, if it comes before they are set, is kept for
 * them; later ones
 * are ignored, so a second Ctrl-C or a hang-up never cuts the graceful shutdown short. A terminal
 * that closes (SIGHUP) stops Gatherarr as SIGTERM does.
 *
 * Importing it installs the listeners: only main.ts does; the embedding API never does.
 */
export const STOP_SIGNALS = ["SIGTERM", "SIGINT", "SIGHUP"] as const

const handlers: Array<(signal: NodeJS.Signals) => void> = []
let received: NodeJS.Signals | undefined

const listener = (signal: NodeJS.Signals) => {
  if (received !== undefined) return
  received = signal
  for (const handler of handlers) handler(signal)
}
for (const signal of STOP_SIGNALS) process.on(signal, listener)

/** Calls `stop` at the first stop signal, or at once if it already came. */
export const onStop = (stop: (signal: NodeJS.Signals) => void): void => {
  handlers.push(stop)
  if (received !== undefined) stop(received)
}
