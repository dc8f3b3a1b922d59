// Recipient waiting room: shows the queue position and follows the caseworker's
// decision (admit / decline) or the end of the session.
import { connect, errorCode, errorDetail, newInstanceId } from "./signaling.js";
import { errorText, t } from "./i18n.js";
import { onPageLeave, prefetchWhenIdle, writeStatus as setText } from "./page.js";

const main = document.getElementById("waiting");

if (main) {
  const session = main.dataset.session;
  const sessionPath = `/s/${encodeURIComponent(session)}`;
  const urls = {
    call: main.dataset.callUrl || `${sessionPath}/call`,
    declined: main.dataset.declinedUrl || `${sessionPath}/declined`,
    ended: main.dataset.endedUrl || `${sessionPath}/ended`,
    consent: `${sessionPath}/consent`,
    moved: `${sessionPath}/moved`,
  };
  const positionEl = document.getElementById("position");
  const stateEl = document.getElementById("conn-state");

  // Set once we navigate away, so the resulting disconnect is not reported.
  let leaving = false;

  setText(stateEl, t("connecting"));

  const socket = connect({ role: "recipient", session, page: "wait", instance: newInstanceId() });

  const leave = (url) => {
    if (leaving) return;
    leaving = true;
    socket.disconnect();
    location.assign(url);
  };

  socket.on("connect", () => setText(stateEl, t("connected")));

  socket.on("disconnect", () => {
    if (!leaving) setText(stateEl, t("reconnecting"));
  });

  socket.on("connect_error", (err) => {
    if (leaving) return;
    const code = errorCode(err);
    if (code === "declined") return leave(urls.declined);
    if (code === "admitted") return leave(urls.call);
    if (code === "session_closed") return leave(urls.ended);
    if (code === "consent_required") return leave(urls.consent);
    // socket.active: a network problem the client keeps retrying by itself;
    // otherwise the server refused us and will keep doing so.
    if (socket.active) {
      setText(stateEl, t("reconnecting"));
    } else {
      console.warn("waiting room: connection refused:", code);
      setText(stateEl, errorText(code, errorDetail(err)));
    }
  });

  // Waiting with no end in sight is a dead end too: after a while, offer the way out.
  const patience = Number(main.dataset.patienceSeconds || 0);
  if (patience > 0) {
    setTimeout(() => {
      const offer = document.getElementById("waited-long");
      if (offer && !leaving) offer.hidden = false;
    }, patience * 1000);
  }

  // Expected wait in words, from the position and the caseworker's pace (the server's
  // rooms/waiting_estimate.py does the same for the first render), or the appointment time.
  const estimateEl = document.getElementById("estimate");
  const pace = Number(main.dataset.minutesPerPerson || 15);
  const scheduled = main.dataset.scheduledAt ? Date.parse(main.dataset.scheduledAt) : null;
  const locale = document.documentElement.dataset.locale || document.documentElement.lang || undefined;
  let lastPosition = null;
  let positionSince = Date.now();

  const duration = (minutes) => {
    const [value, unit] =
      minutes >= 90 ? [Math.round(minutes / 60), "hour"]
      : minutes >= 10 ? [5 * Math.round(minutes / 5), "minute"]
      : [Math.max(1, Math.ceil(minutes)), "minute"];
    const options = { style: "unit", unit, unitDisplay: "long", numberingSystem: "latn" };
    return new Intl.NumberFormat(locale, options).format(value);
  };

  const updateEstimate = () => {
    if (!estimateEl) return;
    const elapsed = (Date.now() - positionSince) / 60000;
    const queue = lastPosition === null ? null : Math.max(0, (lastPosition - 0.5) * pace - elapsed);
    const untilAppointment = scheduled === null ? 0 : (scheduled - Date.now()) / 60000;
    let text;
    if (untilAppointment >= 1 && untilAppointment >= (queue ?? 0)) {
      text = t("appointment", { duration: duration(untilAppointment) });
    } else if (queue === null) {
      return; // keep the server's first estimate until the position arrives
    } else if (queue < 1) {
      text = t("estimate_soon");
    } else {
      text = t("estimate", { duration: duration(queue) });
    }
    setText(estimateEl, text);
  };
  setInterval(updateEstimate, 30000);

  socket.on("lobby.position", ({ position, waiting } = {}) => {
    setText(positionEl, t("position", { position, waiting }));
    if (position !== lastPosition) {
      lastPosition = Number(position);
      positionSince = Date.now();
    }
    updateEstimate();
  });

  socket.on("lobby.admitted", () => leave(urls.call));
  socket.on("lobby.declined", () => leave(urls.declined));
  // The call has its three participants: say so; the person may wait on or book instead.
  socket.on("lobby.full", () => setText(stateEl, t("full")));
  socket.on("session.ended", () => leave(urls.ended));
  // The invitation link was continued on another device: this page stops.
  socket.on("participant.moved", () => leave(urls.moved));

  // Close the socket cleanly so the server drops us from the queue at once.
  onPageLeave(() => {
    leaving = true;
    socket.disconnect();
  });
}

prefetchWhenIdle();
