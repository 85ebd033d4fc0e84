// The daemon sends its requests with node:http (NodeHttpClient.layer); the platform's undici client
// is never built, so this stand-in keeps the `undici` package (~1 MB) out of the bundle.
const unsupported = () => {
  throw new Error("undici is not bundled with Gatherarr")
}
export class Agent {
  constructor() {
    unsupported()
  }
}
export const getGlobalDispatcher = unsupported
export default { Agent, getGlobalDispatcher }
