// The socket.io server that `caas-loadtest chat --target socketio` measures CAAS
// against: the same group chat fan-out, with nothing stored.
//
//   node server.js [port]        (or PORT=...; listens on 127.0.0.1 only)
//
// Events (socket.io v4, default namespace):
//   "join" {room}        -> socket.join(room); acknowledged with `true` when an ack is asked
//   "msg"  {room, t, ...} -> io.to(room).emit("msg", data): every member of the room,
//                            the sender included (CAAS also sends `message.new` to
//                            the sender), so both targets count deliveries the same way.
// GET /healthz answers 200 once the server listens.
"use strict";

const http = require("node:http");
const { Server } = require("socket.io");

const port = Number(process.argv[2] || process.env.PORT || 3000);
if (!Number.isInteger(port) || port <= 0 || port > 65535) {
  console.error(`bad port: ${process.argv[2] || process.env.PORT}`);
  process.exit(2);
}

const httpServer = http.createServer((req, res) => {
  if (req.url === "/healthz") {
    res.writeHead(200, { "content-type": "text/plain" });
    res.end("ok\n");
    return;
  }
  // socket.io answers its own path before this handler; anything else is unknown.
  if (!req.url.startsWith("/socket.io/")) {
    res.writeHead(404);
    res.end();
  }
});

const io = new Server(httpServer, {
  serveClient: false,
  // The harness speaks engine.io over a WebSocket from the first request, as
  // CAAS clients do; long-polling is not part of the comparison.
  transports: ["websocket"],
});

io.on("connection", (socket) => {
  socket.on("join", (data, ack) => {
    if (data && typeof data.room === "string") socket.join(data.room);
    if (typeof ack === "function") ack(true);
  });
  socket.on("msg", (data) => {
    if (data && typeof data.room === "string") io.to(data.room).emit("msg", data);
  });
});

httpServer.listen(port, "127.0.0.1", () => {
  console.error(`socket.io ${require("socket.io/package.json").version} listening on 127.0.0.1:${port}`);
});

const stop = () => io.close(() => process.exit(0));
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
