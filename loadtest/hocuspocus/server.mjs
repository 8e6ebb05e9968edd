// Hocuspocus 4 for loadtest/collab.sh: in memory, no extensions, default
// configuration (documents unloaded when their last connection closes). Every
// connection must send an Auth message first; onAuthenticate accepts any token,
// like the y-websocket reference server, which has no authentication at all.
//
// Environment: HOST (default 127.0.0.1), PORT (default 18292).
import { Server } from "@hocuspocus/server";

const server = new Server({
  address: process.env.HOST || "127.0.0.1",
  port: Number(process.env.PORT || 18292),
  quiet: true,
  async onAuthenticate() {},
});

await server.listen();
console.error(`hocuspocus ${process.env.HOST || "127.0.0.1"}:${server.address.port} (node ${process.version})`);
