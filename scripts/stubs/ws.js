// Gatherarr serves no WebSockets: the platform's HTTP server creates its WebSocket server only on an
// upgrade request, so this stand-in for the `ws` package keeps ~50 KB out of the bundle.
const unsupported = () => {
  throw new Error("WebSockets are not supported by Gatherarr")
}
export class WebSocketServer {
  constructor() {
    unsupported()
  }
}
export class WebSocket {
  constructor() {
    unsupported()
  }
}
export default { WebSocket, WebSocketServer }
