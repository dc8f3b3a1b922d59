// The data-saving modes of a call, what each allows a sender to send, and the
// recipient's stored default. No DOM and no peer connection here.
//
// Figures measured with Chromium's fake devices (docs/performance.md, "Data used by a
// call"): normal about 8 MB per minute both ways, "low" about 1.3, "audio" about 0.45.
// The overhead of RTP, SRTP and RTCP is a large part of the small modes (about 50 audio
// packets a second each way), so audio is capped too.

/** From most to least data. */
export const MODES = ["normal", "low", "audio"];

/** Sender limits per mode: `null` = the browser's own choice. */
export const LIMITS = {
  normal: { video: null, audio: null },
  // ≤ 320×240 (scaleResolutionDownBy from the camera's size), 10 frames a second.
  low: { video: { maxBitrate: 48_000, maxFramerate: 10, maxWidth: 320, maxHeight: 240 }, audio: { maxBitrate: 12_000 } },
  audio: { video: "off", audio: { maxBitrate: 12_000 } },
};

const STORAGE_KEY = "vb.datamode";

export function isMode(value) {
  return MODES.includes(value);
}

/** The mode that sends less of the two (an unknown value counts as "normal"). */
export function stricter(a, b) {
  return MODES[Math.max(MODES.indexOf(isMode(a) ? a : "normal"), MODES.indexOf(isMode(b) ? b : "normal"))];
}

/** The stored default (set on the invitation's landing page), or "normal". */
export function loadPreference() {
  try {
    const value = window.localStorage.getItem(STORAGE_KEY);
    return isMode(value) ? value : "normal";
  } catch {
    return "normal"; // storage blocked (private mode, policy): no default
  }
}

export function savePreference(mode) {
  if (!isMode(mode)) return false;
  try {
    if (mode === "normal") window.localStorage.removeItem(STORAGE_KEY);
    else window.localStorage.setItem(STORAGE_KEY, mode);
    return true;
  } catch {
    return false;
  }
}

/**
 * Apply `mode` to the senders of `pc`: encodings' maxBitrate, scaleResolutionDownBy,
 * maxFramerate and `active` (nothing is sent for "off").
 * Senders without a track or not yet negotiated are skipped; the caller applies again
 * after negotiation.
 */
export async function applyToSenders(pc, mode) {
  const limits = LIMITS[isMode(mode) ? mode : "normal"];
  const results = [];
  for (const sender of pc.getSenders()) {
    const kind = sender.track?.kind;
    if (kind !== "audio" && kind !== "video") continue;
    const params = sender.getParameters();
    if (!params.encodings || params.encodings.length === 0) continue; // not negotiated yet
    const limit = limits[kind];
    for (const encoding of params.encodings) {
      encoding.active = limit !== "off";
      if (limit && limit !== "off") {
        encoding.maxBitrate = limit.maxBitrate;
        if (limit.maxFramerate) encoding.maxFramerate = limit.maxFramerate;
        else delete encoding.maxFramerate;
        if (kind === "video") encoding.scaleResolutionDownBy = scaleFor(sender.track, limit);
      } else {
        delete encoding.maxBitrate;
        delete encoding.maxFramerate;
        if (kind === "video") encoding.scaleResolutionDownBy = 1;
      }
    }
    results.push(
      sender.setParameters(params).catch((err) => {
        // A concurrent renegotiation may invalidate the transaction; the next apply fixes it.
        console.warn("datamodes: setParameters failed:", err?.name, err?.message);
      }),
    );
  }
  await Promise.all(results);
}

/** How much to scale the track's frames down to fit the mode's largest size. */
function scaleFor(track, limit) {
  const { width = 640, height = 480 } = track.getSettings?.() ?? {};
  const landscape = width >= height;
  const long = landscape ? width : height;
  const short = landscape ? height : width;
  return Math.max(1, long / limit.maxWidth, short / limit.maxHeight);
}
