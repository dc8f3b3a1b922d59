// Call page (caseworker, recipient, third person): local media, signalling over
// socket.io and one RTCPeerConnection per other participant (mesh.js).
import { connect, errorCode, errorDetail, newInstanceId, request } from "./signaling.js";
import { errorText, t } from "./i18n.js";
import { attemptLog } from "./attempts.js";
import { PeerLink, isPolite } from "./mesh.js";
import { mediaErrorKey, onPageLeave, writeStatus } from "./page.js";

const main = document.getElementById("call");

if (main) startCall(main);

function startCall(main) {
  const session = main.dataset.session;
  const role = main.dataset.role === "caseworker" ? "caseworker" : "recipient";
  const sessionPath = `/s/${encodeURIComponent(session)}`;
  const urls = {
    ended: main.dataset.endedUrl || `${sessionPath}/ended`,
    outcome: `/sessions/${encodeURIComponent(session)}/outcome`,
    consent: `${sessionPath}/consent`,
    wait: `${sessionPath}/wait`,
    declined: `${sessionPath}/declined`,
    moved: `${sessionPath}/moved`,
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
  let callConnected = false; // media flowed at some point: the outcome form pre-selects video
  let leaving = false; // navigating away: stop reacting to disconnects

  // One link (RTCPeerConnection) per other participant: a bounded mesh (mesh.js).
  const links = new Map(); // participant id -> PeerLink
  const selfInfo = { participant: null, role: main.dataset.selfRole || role };
  const extraVideos = new Map(); // participant id -> <video> beyond the first remote

  window.vbCall = {
    pc: () => firstLink()?.pc ?? null,
    state: () => firstLink()?.state,
    states: () => Object.fromEntries([...links].map(([id, link]) => [id, link.state])),
    links: () => links,
  };

  function firstLink() {
    return links.values().next().value;
  }

  // ---- UI helpers -------------------------------------------------------------

  function setStatus(key) {
    if (key !== "peer_left") stopGrace();
    writeStatus(stateEl, t(key));
    main.dataset.state = key; // a styling / testing hook
  }

  function setStatusText(text) {
    writeStatus(stateEl, text);
  }

  // A dropped connection (not a hang-up): count the grace period down until the other
  // side is back (peer.joined) or gone for good (peer.gone).
  let graceTimer = 0;
  function startGrace(seconds) {
    setStatus("peer_left");
    let left = Math.max(0, Math.ceil(Number(seconds) || 0));
    const tick = () => {
      setStatusText(t("peer_left_countdown", { seconds: left }));
      if (left-- <= 0) stopGrace();
    };
    tick();
    graceTimer = setInterval(tick, 1000);
  }
  function stopGrace() {
    clearInterval(graceTimer);
    graceTimer = 0;
  }

  function showMediaError(key) {
    if (mediaErrorText) mediaErrorText.textContent = t(key);
    if (mediaError) mediaError.hidden = false;
  }

  function showConnectionFailed() {
    setStatus("failed");
    // Point at the fallback link (and the proof) that the media-error box carries.
    if (mediaError?.hidden) {
      mediaError.dataset.reason = "connection";
      showMediaError("failed");
    }
  }

  // ---- local media ------------------------------------------------------------

  async function startMedia() {
    try {
      localStream = await navigator.mediaDevices.getUserMedia({
        audio: true,
        video: { width: { ideal: 640 }, height: { ideal: 480 } },
      });
      mark("vb:media");
      if (localVideo) localVideo.srcObject = localStream;
    } catch (err) {
      console.warn("call: getUserMedia failed:", err?.name, err?.message);
      attempts.media(err);
      showMediaError(mediaErrorKey(err));
    }
    // Toggles only make sense for tracks we actually have.
    if (muteBtn) muteBtn.disabled = !localStream?.getAudioTracks().length;
    if (cameraBtn) cameraBtn.disabled = !localStream?.getVideoTracks().length;
  }

  function stopMedia() {
    localStream?.getTracks().forEach((track) => track.stop());
    if (localVideo) localVideo.srcObject = null;
  }

  // ---- peer links -------------------------------------------------------------

  /** The <video> of one peer: #remote for the first, another one per further peer. */
  function videoFor(participant) {
    if (!remoteVideo) return null;
    if (remoteVideo.dataset.participant === participant || !remoteVideo.dataset.participant) {
      remoteVideo.dataset.participant = participant;
      return remoteVideo;
    }
    let video = extraVideos.get(participant);
    if (!video) {
      video = document.createElement("video");
      video.autoplay = true;
      video.playsInline = true;
      video.className = "remote";
      video.dataset.participant = participant;
      video.setAttribute("aria-label", remoteVideo.getAttribute("aria-label") || "");
      remoteVideo.after(video);
      extraVideos.set(participant, video);
    }
    return video;
  }

  function releaseVideo(participant) {
    const extra = extraVideos.get(participant);
    if (extra) {
      extra.srcObject = null;
      extra.remove();
      extraVideos.delete(participant);
    } else if (remoteVideo?.dataset.participant === participant) {
      remoteVideo.srcObject = null;
      delete remoteVideo.dataset.participant;
    }
  }

  function playVideo(video) {
    // Autoplay with sound can be blocked until the person interacts with the page. Retried
    // on every gesture until it plays: iOS counts a touch's end (pointerup, touchend) as the
    // activation, not its start.
    video.play().catch((err) => {
      if (err?.name !== "NotAllowedError") return;
      const gestures = ["pointerup", "touchend", "click", "keydown"];
      const resume = () =>
        video.play().then(
          () => gestures.forEach((name) => document.removeEventListener(name, resume)),
          () => {},
        );
      gestures.forEach((name) => document.addEventListener(name, resume));
    });
  }

  // iOS pauses media elements while the page is in the background: play them again when
  // the person comes back (a gesture, if the browser insists on one, as above).
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState !== "visible") return;
    document.querySelectorAll("video").forEach((video) => {
      if (video.srcObject && video.paused) playVideo(video);
    });
  });

  function openLink(peer) {
    const participant = peer.participant;
    const link = new PeerLink(peer, {
      polite: isPolite(selfInfo, peer),
      iceServers,
      hooks: {
        send: (event, payload) => {
          if (event === "offer") mark("vb:offer");
          send(event, { ...payload, to: participant });
        },
        localStream: () => localStream,
        attach: (stream) => {
          const video = videoFor(participant);
          if (video && video.srcObject !== stream) {
            video.srcObject = stream;
            video.addEventListener("resize", () => mark("vb:video"), { once: true });
            playVideo(video);
          }
        },
        detach: () => releaseVideo(participant),
        watch: (conn, onTimeout) =>
          attempts.watch(conn, { hasTurn: iceServers.length > 0, onTimeout, peerRole: peer.role }),
        state: (key) => {
          if (key === "connected") {
            callConnected = true;
            mark("vb:connected");
          }
          if (key === "connected" && mediaError?.dataset.reason === "connection") {
            mediaError.hidden = true;
            delete mediaError.dataset.reason;
          }
          setStatus(key);
        },
        failed: () => showConnectionFailed(),
        // The call's add-ons (datasaver.js, photo.js) follow the caseworker–recipient link.
        created: (conn, polite) => {
          if (addOnsFollow(peer)) main.dispatchEvent(new CustomEvent("vbcall:pc", { detail: { pc: conn, polite } }));
        },
        closed: (conn) => {
          if (addOnsFollow(peer)) main.dispatchEvent(new CustomEvent("vbcall:pcclosed", { detail: { pc: conn } }));
        },
      },
    });
    links.set(participant, link);
    updateThirdControls();
    return link;
  }

  /** Data saving and document photos are between the caseworker and the recipient. */
  function addOnsFollow(peer) {
    const pair = [selfInfo.role, peer.role];
    return pair.includes("caseworker") && pair.includes("recipient");
  }

  function closeLink(participant) {
    const link = links.get(participant);
    if (!link) return;
    link.close();
    links.delete(participant);
    updateThirdControls();
  }

  function closeAll() {
    for (const participant of [...links.keys()]) closeLink(participant);
  }

  /** Fire-and-forget signalling; failures while offline are expected and recovered on reconnect. */
  function send(event, payload) {
    if (!socket) return;
    request(socket, event, payload).catch((err) => {
      const code = errorCode(err);
      if (code !== "disconnected" && !leaving) console.warn(`call: ${event} failed:`, code);
    });
  }

  function linkFrom(message) {
    // Only accept signalling from a peer we built a link for.
    return message && typeof message.from === "string" ? links.get(message.from) : undefined;
  }

  /** A peer page is present (from call.peers or peer.joined). */
  function peerPresent(info, { fromJoin }) {
    if (!info?.participant || info.participant === selfInfo.participant) return;
    const next = { participant: info.participant, instance: info.instance, role: info.role };
    const link = links.get(next.participant);
    if (!link || !link.pc || link.peer.instance !== next.instance) {
      // New page on the other side (first contact or a reload): start from scratch.
      closeLink(next.participant);
      openLink(next);
      setStatus("connecting");
      return;
    }
    // Same page, its network dropped and came back.
    if (fromJoin) {
      link.resync();
      if (link.state === "connected") setStatus("connected");
    }
  }

  function peerGone(participant) {
    closeLink(participant);
    if (!links.size) setStatus("waiting_for_peer");
  }

  // ---- third person -----------------------------------------------------------

  const removeBtn = document.getElementById("remove-third");
  const thirdAsk = document.getElementById("third-ask");

  function thirdInCall() {
    return [...links.values()].find((link) => ["interpreter", "companion"].includes(link.peer.role));
  }

  function updateThirdControls() {
    if (removeBtn) removeBtn.hidden = !thirdInCall();
  }

  removeBtn?.addEventListener("click", async () => {
    removeBtn.disabled = true;
    try {
      const response = await fetch(`/api/third/${encodeURIComponent(session)}/remove`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: "{}",
        credentials: "same-origin",
      });
      if (!response.ok) console.warn("call: removing the third person failed:", response.status);
    } finally {
      removeBtn.disabled = false;
    }
  });

  function askThird(thirdRole) {
    if (!thirdAsk || role !== "recipient" || selfInfo.role !== "recipient") return;
    const text = document.getElementById("third-ask-text");
    if (text) text.textContent = t(`third_asked_${thirdRole}`);
    thirdAsk.hidden = false;
  }

  async function answerThird(agree) {
    thirdAsk.querySelectorAll("button").forEach((b) => (b.disabled = true));
    try {
      const response = await fetch(`/api/third/${encodeURIComponent(session)}/answer`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ agree }),
        credentials: "same-origin",
      });
      if (!response.ok) throw new Error(String(response.status));
      thirdAsk.hidden = true; // answered (and stored)
    } catch (err) {
      console.warn("call: answering failed:", err?.message);
    } finally {
      thirdAsk.querySelectorAll("button").forEach((b) => (b.disabled = false));
    }
  }

  document.getElementById("third-agree")?.addEventListener("click", () => answerThird(true));
  document.getElementById("third-refuse")?.addEventListener("click", () => answerThird(false));
  if (main.dataset.thirdAsked) askThird(main.dataset.thirdAsked);

  // ---- leaving ----------------------------------------------------------------

  function shutdown() {
    leaving = true;
    closeAll();
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
    // The caseworker goes straight to the outcome form (issue 12), "held by video"
    // pre-selected when the call was connected.
    leave(role === "caseworker" ? `${urls.outcome}${callConnected ? "?connected=1" : ""}#outcome-form` : urls.ended);
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
  // Leaving closes the socket cleanly; restored from the back/forward cache, start afresh.
  onPageLeave(shutdown);

  // ---- signalling -------------------------------------------------------------

  function connectSignalling(mediaReady) {
    // Recipients tell the server which page this is (waiting room or call).
    const auth = role === "recipient" ? { role, session, page: "call", instance } : { role, session, instance };
    socket = connect(auth);
    // Call events are handled in the order they came, each once the camera is settled.
    const on = (event, handler) =>
      socket.on(event, (...args) => {
        mediaReady.then(() => {
          if (!leaving) handler(...args);
        });
      });

    socket.on("connect", () => {
      mark("vb:socket");
      if (everConnected) {
        // Our own network came back: the path has probably changed.
        for (const link of links.values()) link.resync();
      }
      everConnected = true;
      if (firstLink()?.state === "connected") setStatus("connected");
      else if (!links.size) setStatus("waiting_for_peer");
    });

    socket.on("disconnect", () => {
      if (leaving) return;
      // Media flows peer-to-peer; a working call is not interrupted by this.
      if (firstLink()?.state !== "connected") setStatus("reconnecting");
    });

    socket.on("connect_error", (err) => {
      if (leaving) return;
      const code = errorCode(err);
      if (role === "recipient") {
        const target = {
          consent_required: urls.consent,
          not_admitted: urls.wait,
          declined: urls.ended,
          session_closed: urls.ended,
        }[code];
        if (code === "declined" && selfInfo.role === "recipient") return leave(urls.declined);
        if (target) return leave(target);
      }
      if (socket.active) {
        // Network trouble; socket.io keeps retrying by itself.
        if (firstLink()?.state !== "connected") setStatus("reconnecting");
        return;
      }
      console.warn("call: connection refused:", code);
      setStatusText(errorText(code, errorDetail(err)));
    });

    on("call.peers", ({ self, peers } = {}) => {
      mark("vb:peers");
      if (self) selfInfo.participant = self;
      const others = Array.isArray(peers) ? peers.filter((p) => p?.participant && p.participant !== self) : [];
      for (const other of others) peerPresent(other, { fromJoin: false });
      // Links to pages that are no longer there (we may have missed peer.gone while
      // offline). Keep a link whose media still flows; peer.gone or peer.joined settles it.
      const present = new Set(others.map((p) => p.participant));
      for (const [participant, link] of [...links]) {
        if (!present.has(participant) && link.state !== "connected") peerGone(participant);
      }
      if (!links.size) setStatus("waiting_for_peer");
    });

    on("peer.joined", (info) => peerPresent(info, { fromJoin: true }));

    on("peer.left", ({ participant, grace } = {}) => {
      if (links.has(participant)) startGrace(grace);
    });

    on("peer.gone", ({ participant } = {}) => {
      if (links.has(participant)) peerGone(participant);
    });

    on("offer", (message) => linkFrom(message)?.onDescription("offer", message.sdp));
    on("answer", (message) => linkFrom(message)?.onDescription("answer", message.sdp));
    on("candidate", (message) => linkFrom(message)?.onCandidate(message));

    on("hangup", (message = {}) => {
      const link = linkFrom(message);
      if (!link) return;
      const fromCaseworker = link.peer.role === "caseworker";
      closeLink(message.from);
      setStatus("peer_hung_up"); // a decision, not a dropped connection: no countdown
      // The caseworker stays to record the outcome with the form on this page; the
      // others leave when the caseworker hangs up, and go on when anyone else does.
      if (role === "recipient" && fromCaseworker) leave(urls.ended);
    });

    on("session.ended", () => leave(urls.ended));
    // The invitation link was continued on another device: this page stops.
    on("participant.moved", () => leave(urls.moved));

    on("consent.withdrawn", ({ participant } = {}) => {
      if (role === "recipient" && (!selfInfo.participant || participant === selfInfo.participant)) {
        leave(urls.withdrawn); // our own withdrawal (perhaps from another tab)
        return;
      }
      if (!links.has(participant)) return;
      closeLink(participant);
      setStatus("peer_withdrew");
    });

    on("peer.removed", ({ participant } = {}) => {
      if (participant && participant === selfInfo.participant) {
        leave(urls.ended);
        return;
      }
      peerGone(participant);
    });

    on("third.asked", ({ role: thirdRole } = {}) => askThird(thirdRole));

    on("third.answered", ({ agreed } = {}) => {
      if (role === "caseworker") setStatusText(t(agreed ? "third_agreed" : "third_refused"));
    });
  }

  setStatus("connecting");
  // Camera and socket start together; the socket's call events wait for the camera, so
  // every connection is still created with our tracks present.
  connectSignalling(startMedia());
}

/** A timing mark for the set-up (once per page): read by the bench, harmless otherwise. */
function mark(name) {
  if (!performance.getEntriesByName(name, "mark").length) performance.mark(name);
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
