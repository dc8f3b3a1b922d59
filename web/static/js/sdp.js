// Rewriting a remote session description before it is set (peerlink.js's remoteSdp hook).

/**
 * Audio packet duration in every mode. Chromium's Opus sends a packet every 20 ms, each
 * with about 38 bytes of RTP header, header extensions and SRTP tag: at "sound only"
 * that overhead is more than the voice itself. 40 ms halves it (about 15 kbit/s less,
 * both ways together) for 20 ms more delay.
 */
export const AUDIO_PTIME_MS = 40;

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
