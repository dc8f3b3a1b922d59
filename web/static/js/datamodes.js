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

/**
 * Audio packet duration in every mode. Chromium's Opus sends a packet every 20 ms, each
 * with about 38 bytes of RTP header, header extensions and SRTP tag: at "sound only"
 * that overhead is more than the voice itself. 40 ms halves it (about 15 kbit/s less,
 * both ways together) for 20 ms more delay.
 */
export const AUDIO_PTIME_MS = 40;

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

/**
 * The remote description with `a=ptime:<ms>` in each audio section that has none: our
 * Opus encoder takes its frame length from the remote side's ptime. Changing the
 * other side's SDP on our side only is allowed (it is our input); sections that name a
 * ptime themselves are left alone.
 */
export function withAudioPtime(sdp, ms = AUDIO_PTIME_MS) {
  const eol = sdp.includes("\r\n") ? "\r\n" : "\n";
  const sections = sdp.split(/(?=^m=)/m);
  return sections
    .map((section) => {
      if (!section.startsWith("m=audio") || /^a=ptime:/m.test(section)) return section;
      const end = section.indexOf(eol);
      return `${section.slice(0, end + eol.length)}a=ptime:${ms}${eol}${section.slice(end + eol.length)}`;
    })
    .join("");
}
