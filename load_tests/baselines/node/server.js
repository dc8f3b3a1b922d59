// Baseline (c): a bare socket.io 4 relay. Same settings as ours: websocket only,
// compression off, ping 20 s / 20 s. Clients join the room named in auth.room; offer,
// answer and candidate go to the rest of the room with the sender id, acked when asked.
const http = require("http");
const { Server } = require("socket.io");

const port = parseInt(process.env.PORT || "0", 10);
const httpServer = http.createServer((req, res) => {
  res.writeHead(req.url === "/healthz" ? 200 : 404, { "content-type": "application/json" });
  res.end('{"status":"ok"}');
});
const io = new Server(httpServer, {
  transports: ["websocket"],
  perMessageDeflate: false,
  httpCompression: false,
  pingInterval: 20000,
  pingTimeout: 20000,
  maxHttpBufferSize: 256 * 1024,
  serveClient: false,
});
io.on("connection", (socket) => {
  const room = (socket.handshake.auth && socket.handshake.auth.room) || "lobby";
  socket.join(room);
  for (const event of ["offer", "answer", "candidate"]) {
    socket.on(event, (data, ack) => {
      socket.to(room).emit(event, { ...data, from: socket.id });
      if (typeof ack === "function") ack({ ok: true });
    });
  }
});
httpServer.listen(port, "127.0.0.1", () => {
  console.log(`listening ${httpServer.address().port}`);
});
process.on("SIGTERM", () => { io.close(); httpServer.close(() => process.exit(0)); });
