// Thin wrapper around the socket.io client for the signalling protocol
// (see docs/protocol.md).
import { io } from "/static/vendor/socket.io.esm.min.js";

/**
 * Open the signalling connection.
 * Websocket only: the server does not offer long-polling (no sticky sessions needed).
 * @param {object} auth payload checked by the server's connect handler
 */
export function connect(auth) {
  return io({
    transports: ["websocket"],
    auth,
    reconnection: true,
    reconnectionDelayMax: 3000,
  });
}

/**
 * Emit an event and wait for the server's acknowledgement.
 * Resolves with the ack object when it says `ok: true`; otherwise rejects with an
 * Error whose message (and `.code`) is the protocol error code, or "timeout".
 */
export function request(socket, event, payload = {}, timeoutMs = 5000) {
  return new Promise((resolve, reject) => {
    // socket.io would buffer the emit and send it after a reconnect; for signalling
    // and lobby actions a stale message is worse than a clear failure.
    if (!socket.connected) {
      reject(codedError("disconnected"));
      return;
    }
    socket.timeout(timeoutMs).emit(event, payload, (err, ack) => {
      if (err) {
        reject(codedError("timeout"));
      } else if (ack && ack.ok === true) {
        resolve(ack);
      } else {
        const code = ack?.error?.code || "bad_response";
        reject(codedError(code, ack?.error?.message));
      }
    });
  });
}

function codedError(code, detail) {
  const error = new Error(code);
  error.code = code;
  if (detail) error.detail = detail;
  return error;
}

/**
 * The protocol code of a `connect_error` (or of a rejected `request`).
 * The server sends `{code, message}` as the error data; fall back to the error
 * message in case the code was sent as the message itself.
 */
export function errorCode(err) {
  return err?.data?.code || err?.code || err?.message || "unknown";
}

/** The server's human-readable message for an error, if any. */
export function errorDetail(err) {
  return err?.data?.message || err?.detail || "";
}

// Shared with pages that load this module only later (call.js).
export { newInstanceId } from "./page.js";
