// Call page (caseworker and recipient): local media, signalling over socket.io and
// one RTCPeerConnection per peer page load, negotiated with the "perfect
// negotiation" pattern (https://developer.mozilla.org/docs/Web/API/WebRTC_API/Perfect_negotiation).
import { connect, errorCode, errorDetail, newInstanceId, request } from "./signaling.js";
import { errorText, t } from "./i18n.js";
import { attemptLog } from "./attempts.js";

const main = document.getElementById("call");

if (main) startCall(main);

function startCall(main) {
  const session = main.dataset.session;
  const role = main.dataset.role === "caseworker" ? "caseworker" : "recipient";
  // The recipient yields on offer collisions; the caseworker's offer wins.
  const polite = role === "recipient";
  const sessionPath = `/s/${encodeURIComponent(session)}`;
  const urls = {
    ended: main.dataset.endedUrl || `${sessionPath}/ended`,
    outcome: `/sessions/${encodeURIComponent(session)}/outcome`,
    consent: `${sessionPath}/consent`,
    wait: `${sessionPath}/wait`,
    declined: `${sessionPath}/declined`,
    withdrawn: `${main.dataset.fallbackUrl || `${sessionPath}/fallback`}?reason=withdrawn`,
  };
  const iceServers = parseIceServers(main.dataset.iceServers);
  const attempts = attemptLog(main);
  const instance = newInstanceId();

  const localVideo = document.getElementById("local");
  const remoteVideo = document.getElementById("remote");
  const stateEl = document.getElementById("conn-state");
  const muteBtn = document.getElementById("mute");
  const cameraBtn = document.getElementById("camera");
  const hangupBtn = document.getElementById("hangup");
  const withdrawBtn = document.getElementById("withdraw");
  const mediaError = document.getElementById("media-error");
  const mediaErrorText = document.getElementById("media-error-text");

  let localStream = null;
  let socket = null;
  let everConnected = false; // to tell the first socket connect from reconnects
  let leaving = false; // navigating away: stop reacting to disconnects

  // Per-peer-connection state (reset in createPc).
  let pc = null;
  let peer = null; // {participant, instance} of the page on the other side
  let makingOffer = false;
  let ignoreOffer = false;
  let isSettingRemoteAnswerPending = false;
  let restartedAfterFailure = false;
  let tracksAttached = false;
  let fallbackTimer = 0;

  // How long the polite side waits for the first offer before negotiating itself.
  const POLITE_OFFER_WAIT_MS = 3000;
  // How long the polite side leaves an ICE restart to the impolite side.
  const POLITE_RESTART_WAIT_MS = 2500;

  window.vbCall = {
    pc: () => pc,
    state: () => pc?.connectionState,
  };

  // ---- UI helpers -------------------------------------------------------------

  function setStatus(key) {
    const text = t(key);
    // Only write on change: the live region re-announces every write.
    if (stateEl && stateEl.textContent !== text) stateEl.textContent = text;
    main.dataset.state = key; // a styling / testing hook
  }

  function setStatusText(text) {
    if (stateEl && stateEl.textContent !== text) stateEl.textContent = text;
  }

  function showMediaError(key) {
    if (mediaErrorText) mediaErrorText.textContent = t(key);
    if (mediaError) mediaError.hidden = false;
  }

  // ---- local media ------------------------------------------------------------

  async function startMedia() {
    try {
      localStream = await navigator.mediaDevices.getUserMedia({
        audio: true,
        video: { width: { ideal: 640 }, height: { ideal: 480 } },
      });
      if (localVideo) localVideo.srcObject = localStream;
    } catch (err) {
      console.warn("call: getUserMedia failed:", err?.name, err?.message);
      attempts.media(err);
      const name = err?.name;
      if (name === "NotAllowedError" || name === "SecurityError") showMediaError("media_denied");
      else if (name === "NotFoundError" || name === "OverconstrainedError") showMediaError("media_missing");
      else showMediaError("media_failed");
    }
    // Toggles only make sense for tracks we actually have.
    if (muteBtn) muteBtn.disabled = !localStream?.getAudioTracks().length;
    if (cameraBtn) cameraBtn.disabled = !localStream?.getVideoTracks().length;
  }

  function stopMedia() {
    localStream?.getTracks().forEach((track) => track.stop());
    if (localVideo) localVideo.srcObject = null;
  }

  // ---- peer connection --------------------------------------------------------

  function createPc() {
    closePc();
    const conn = new RTCPeerConnection({ iceServers });
    pc = conn;
    makingOffer = false;
    ignoreOffer = false;
    isSettingRemoteAnswerPending = false;
    restartedAfterFailure = false;
    tracksAttached = false;

    // Every handler checks `conn === pc`: events of a replaced connection are stale.
    conn.onnegotiationneeded = async () => {
      try {
        makingOffer = true;
        await conn.setLocalDescription();
        if (conn === pc) sendDescription(conn);
      } catch (err) {
        if (conn === pc) console.warn("call: creating offer failed:", err);
      } finally {
        if (conn === pc) makingOffer = false;
      }
    };

    conn.onicecandidate = ({ candidate }) => {
      // null = gathering finished; end-of-candidates is optional, so we send nothing.
      if (conn !== pc || !candidate || !candidate.candidate) return;
      send("candidate", {
        candidate: candidate.candidate,
        sdpMid: candidate.sdpMid ?? null,
        sdpMLineIndex: candidate.sdpMLineIndex ?? null,
        usernameFragment: candidate.usernameFragment ?? null,
      });
    };

    conn.ontrack = ({ track, streams }) => {
      if (conn !== pc || !remoteVideo) return;
      let stream = streams[0];
      if (!stream) {
        // Sender without a stream id: collect the tracks ourselves.
        stream = remoteVideo.srcObject instanceof MediaStream ? remoteVideo.srcObject : new MediaStream();
        if (!stream.getTracks().includes(track)) stream.addTrack(track);
      }
      if (remoteVideo.srcObject !== stream) {
        remoteVideo.srcObject = stream;
        playRemote();
      }
    };

    conn.onconnectionstatechange = () => {
      if (conn !== pc) return;
      switch (conn.connectionState) {
        case "new":
        case "connecting":
          setStatus("connecting");
          break;
        case "connected":
          restartedAfterFailure = false;
          if (mediaError?.dataset.reason === "connection") {
            mediaError.hidden = true;
            delete mediaError.dataset.reason;
          }
          setStatus("connected");
          break;
        case "disconnected":
          // Often transient (network switch); ICE recovers or goes to "failed".
          setStatus("reconnecting");
          break;
        case "failed":
          if (!restartedAfterFailure) {
            restartedAfterFailure = true;
            setStatus("reconnecting");
            requestIceRestart(conn);
          } else {
            showConnectionFailed();
          }
          break;
        default:
          break;
      }
    };

    attempts.watch(conn, {
      hasTurn: iceServers.length > 0,
      onTimeout: () => {
        if (conn === pc) showConnectionFailed();
      },
    });

    // Both sides adding tracks at once makes every join an offer collision, and
    // Chromium sometimes stops gathering ICE candidates after the polite side's
    // rollback. So the impolite side offers first; the polite side attaches its
    // tracks when answering (see onDescription), or after a grace period.
    if (!polite) {
      attachLocalTracks(conn);
    } else {
      fallbackTimer = setTimeout(() => {
        if (conn === pc) attachLocalTracks(conn);
      }, POLITE_OFFER_WAIT_MS);
    }
    return conn;
  }

  function showConnectionFailed() {
    setStatus("failed");
    // Point at the fallback link (and the proof) that the media-error box carries.
    if (mediaError?.hidden) {
      mediaError.dataset.reason = "connection";
      showMediaError("failed");
    }
  }

  /** Add our media to the connection (once); triggers negotiation if needed. */
  function attachLocalTracks(conn) {
    if (tracksAttached) return;
    tracksAttached = true;
    clearTimeout(fallbackTimer);
    if (localStream) {
      for (const track of localStream.getTracks()) conn.addTrack(track, localStream);
    } else if (conn.getTransceivers().length === 0) {
      // Without own media we can still see and hear the other side.
      conn.addTransceiver("audio", { direction: "recvonly" });
      conn.addTransceiver("video", { direction: "recvonly" });
    }
  }

  /**
   * Restart ICE; the polite side first leaves it to the impolite side, so that
   * both do not send restart offers at the same time.
   */
  function requestIceRestart(conn) {
    if (!polite) {
      conn.restartIce();
      return;
    }
    setTimeout(() => {
      const stuck = ["failed", "disconnected"].includes(conn.iceConnectionState);
      if (conn === pc && stuck && conn.signalingState === "stable") conn.restartIce();
    }, POLITE_RESTART_WAIT_MS);
  }

  function closePc() {
    if (!pc) return;
    const conn = pc;
    pc = null;
    clearTimeout(fallbackTimer);
    conn.onnegotiationneeded = conn.onicecandidate = conn.ontrack = conn.onconnectionstatechange = null;
    conn.close();
    clearRemote();
  }

  function clearRemote() {
    if (remoteVideo) remoteVideo.srcObject = null;
  }

  function playRemote() {
    // Autoplay with sound can be blocked until the user interacts with the page.
    remoteVideo.play().catch((err) => {
      if (err?.name !== "NotAllowedError") return;
      const resume = () => remoteVideo.play().catch(() => {});
      document.addEventListener("pointerdown", resume, { once: true });
      document.addEventListener("keydown", resume, { once: true });
    });
  }

  function sendDescription(conn) {
    const description = conn.localDescription;
    if (!description) return;
    send(description.type === "offer" ? "offer" : "answer", { sdp: description.sdp });
  }

  /** Fire-and-forget signalling; failures while offline are expected and recovered on reconnect. */
  function send(event, payload) {
    if (!socket) return;
    request(socket, event, payload).catch((err) => {
      const code = errorCode(err);
      if (code !== "disconnected" && !leaving) console.warn(`call: ${event} failed:`, code);
    });
  }

  /**
   * After either side's signalling connection came back: re-send an offer that may
   * have been lost, and restart ICE because the network path has probably changed.
   * Only the impolite side restarts, to avoid colliding restart offers: it hears
   * of the polite side's reconnect through peer.joined.
   */
  function resync() {
    if (!pc) return;
    if (pc.signalingState === "have-local-offer") sendDescription(pc);
    if (!polite) pc.restartIce();
  }

  function isFromPeer(message) {
    // Only accept signalling from the peer we built the connection for.
    return Boolean(pc && peer && message && (message.from === undefined || message.from === peer.participant));
  }

  async function onDescription(type, message) {
    if (!isFromPeer(message) || typeof message.sdp !== "string") return;
    const conn = pc;
    try {
      const readyForOffer =
        !makingOffer && (conn.signalingState === "stable" || isSettingRemoteAnswerPending);
      const offerCollision = type === "offer" && !readyForOffer;
      ignoreOffer = !polite && offerCollision;
      if (ignoreOffer) return;

      // No await before setRemoteDescription: candidates that arrive next must be
      // queued behind it on the connection's operations chain.
      isSettingRemoteAnswerPending = type === "answer";
      await conn.setRemoteDescription({ type, sdp: message.sdp }); // polite: implicit rollback
      isSettingRemoteAnswerPending = false;
      if (type === "offer") {
        if (conn !== pc) return;
        // Our tracks go into this answer (addTrack reuses the offered transceivers).
        attachLocalTracks(conn);
        await conn.setLocalDescription();
        if (conn === pc) sendDescription(conn);
      }
    } catch (err) {
      isSettingRemoteAnswerPending = false;
      if (conn === pc) console.warn(`call: handling ${type} failed:`, err);
    }
  }

  async function onCandidate(message) {
    if (!isFromPeer(message)) return;
    // "" = end of candidates; optional, and not understood everywhere: skip it.
    if (typeof message.candidate !== "string" || message.candidate === "") return;
    const conn = pc;
    try {
      await conn.addIceCandidate({
        candidate: message.candidate,
        sdpMid: message.sdpMid ?? null,
        sdpMLineIndex: message.sdpMLineIndex ?? null,
        usernameFragment: message.usernameFragment ?? null,
      });
    } catch (err) {
      // Candidates of an offer we ignored are expected to fail.
      if (conn === pc && !ignoreOffer) console.warn("call: adding ICE candidate failed:", err);
    }
  }

  /** A peer page is present (from call.peers or peer.joined). */
  function peerPresent(info, { fromJoin }) {
    if (!info?.participant) return;
    const next = { participant: info.participant, instance: info.instance };
    if (!pc || !peer || peer.participant !== next.participant || peer.instance !== next.instance) {
      // New page on the other side (first contact or a reload): start from scratch.
      peer = next;
      createPc();
      setStatus("connecting");
      return;
    }
    // Same page, its network dropped and came back.
    if (fromJoin) {
      resync();
      if (pc.connectionState === "connected") setStatus("connected");
    }
  }

  function peerGone() {
    closePc();
    peer = null;
    setStatus("waiting_for_peer");
  }

  // ---- leaving ----------------------------------------------------------------

  function shutdown() {
    leaving = true;
    closePc();
    stopMedia();
    socket?.disconnect();
  }

  let navigating = false;
  function leave(url) {
    shutdown();
    if (navigating) return; // e.g. hangup and session.ended racing
    navigating = true;
    location.assign(url);
  }

  async function hangup() {
    if (leaving) return;
    leaving = true;
    if (hangupBtn) hangupBtn.disabled = true;
    if (socket?.connected) {
      try {
        await request(socket, "hangup", {});
      } catch (err) {
        console.warn("call: hangup failed:", errorCode(err));
      }
    }
    leave(role === "caseworker" ? urls.outcome : urls.ended);
  }

  // ---- controls ---------------------------------------------------------------

  muteBtn?.addEventListener("click", () => {
    const tracks = localStream?.getAudioTracks() ?? [];
    if (!tracks.length) return;
    const muted = muteBtn.getAttribute("aria-pressed") !== "true";
    tracks.forEach((track) => (track.enabled = !muted));
    // A toggle keeps its name; only aria-pressed (and the pressed style) changes, so a
    // screen reader announces "Stummschalten, gedrückt" rather than a different button.
    muteBtn.setAttribute("aria-pressed", String(muted));
  });

  cameraBtn?.addEventListener("click", () => {
    const tracks = localStream?.getVideoTracks() ?? [];
    if (!tracks.length) return;
    const off = cameraBtn.getAttribute("aria-pressed") !== "true";
    tracks.forEach((track) => (track.enabled = !off));
    cameraBtn.setAttribute("aria-pressed", String(off));
  });

  hangupBtn?.addEventListener("click", hangup);

  /** Withdrawal is as easy as consent: one click ends the media at once. */
  async function withdraw() {
    if (leaving || !socket?.connected) return;
    if (withdrawBtn) withdrawBtn.disabled = true;
    try {
      await request(socket, "consent.withdraw", {});
    } catch (err) {
      console.warn("call: withdrawal failed:", errorCode(err));
      setStatus("withdraw_failed");
      if (withdrawBtn) withdrawBtn.disabled = false;
      return;
    }
    leave(urls.withdrawn);
  }

  withdrawBtn?.addEventListener("click", withdraw);

  // Leaving the page (navigation, reload, tab close): say goodbye cleanly.
  window.addEventListener("pagehide", () => shutdown());
  // Restored from the back/forward cache: media and socket are gone, start afresh.
  window.addEventListener("pageshow", (event) => {
    if (event.persisted) location.reload();
  });

  // ---- signalling -------------------------------------------------------------

  function connectSignalling() {
    // Recipients tell the server which page this is (waiting room or call).
    const auth = role === "recipient" ? { role, session, page: "call", instance } : { role, session, instance };
    socket = connect(auth);

    socket.on("connect", () => {
      if (everConnected) {
        // Our own network came back: the path has probably changed.
        resync();
      }
      everConnected = true;
      if (pc?.connectionState === "connected") setStatus("connected");
      else if (!pc) setStatus("waiting_for_peer");
    });

    socket.on("disconnect", () => {
      if (leaving) return;
      // Media flows peer-to-peer; a working call is not interrupted by this.
      if (pc?.connectionState !== "connected") setStatus("reconnecting");
    });

    socket.on("connect_error", (err) => {
      if (leaving) return;
      const code = errorCode(err);
      if (role === "recipient") {
        const target = {
          consent_required: urls.consent,
          not_admitted: urls.wait,
          declined: urls.declined,
          session_closed: urls.ended,
        }[code];
        if (target) return leave(target);
      }
      if (socket.active) {
        // Network trouble; socket.io keeps retrying by itself.
        if (pc?.connectionState !== "connected") setStatus("reconnecting");
        return;
      }
      console.warn("call: connection refused:", code);
      setStatusText(errorText(code, errorDetail(err)));
    });

    socket.on("call.peers", ({ self, peers } = {}) => {
      const others = Array.isArray(peers) ? peers.filter((p) => p?.participant && p.participant !== self) : [];
      // One-to-one call: prefer the other role, if the server lists several.
      const other = others.find((p) => p.role && p.role !== role) || others[0];
      if (other) peerPresent(other, { fromJoin: false });
      // Nobody there (we may have missed peer.gone while offline). Keep a connection
      // whose media still flows; peer.gone or peer.joined will settle it.
      else if (pc?.connectionState !== "connected") peerGone();
    });

    socket.on("peer.joined", (info) => peerPresent(info, { fromJoin: true }));

    socket.on("peer.left", ({ participant } = {}) => {
      if (peer && participant === peer.participant) setStatus("peer_left");
    });

    socket.on("peer.gone", ({ participant } = {}) => {
      if (peer && participant === peer.participant) peerGone();
    });

    socket.on("offer", (message) => onDescription("offer", message));
    socket.on("answer", (message) => onDescription("answer", message));
    socket.on("candidate", (message) => onCandidate(message));

    socket.on("hangup", (message = {}) => {
      if (peer && message.from !== undefined && message.from !== peer.participant) return;
      closePc();
      peer = null;
      setStatus("peer_left");
      // The caseworker stays to record the outcome with the form on this page.
      if (role === "recipient") leave(urls.ended);
    });

    socket.on("session.ended", () => leave(urls.ended));

    socket.on("consent.withdrawn", ({ participant } = {}) => {
      if (role === "recipient") {
        leave(urls.withdrawn); // our own withdrawal (perhaps from another tab)
        return;
      }
      if (peer && participant !== peer.participant) return;
      closePc();
      peer = null;
      setStatus("peer_withdrew");
    });
  }

  setStatus("connecting");
  // Media first, so the connection is created with our tracks already present.
  startMedia().then(() => {
    if (!leaving) connectSignalling();
  });
}

function parseIceServers(raw) {
  if (!raw) return [];
  try {
    const parsed = JSON.parse(raw);
    if (Array.isArray(parsed)) return parsed;
  } catch (err) {
    console.warn("call: invalid data-ice-servers", err);
  }
  return [];
}
