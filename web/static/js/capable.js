// Whether this browser can hold a video call at all: what a page checks before the
// person consents and waits (docs/protocol.md, "Attempt log": the class only, never the
// user-agent string). In-app browsers of messengers often lack one of these.

/**
 * The first thing missing, as the attempt log's class: "insecure_context" (camera and
 * microphone need https), "no_webrtc" (no RTCPeerConnection), "no_media_devices" (no
 * navigator.mediaDevices.getUserMedia); null when the browser can call.
 */
export function missingCapability(win = window) {
  if (win.isSecureContext === false) return "insecure_context";
  if (typeof win.RTCPeerConnection !== "function") return "no_webrtc";
  if (typeof win.navigator?.mediaDevices?.getUserMedia !== "function") return "no_media_devices";
  return null;
}
