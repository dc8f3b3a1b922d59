// What one peer connection's getStats report says: bytes carried and link quality. No
// DOM, no connection here: a report (RTCStatsReport or any Map of stats) in, figures out.

/**
 * Bytes carried both ways. Chromium puts them on the `transport`; Firefox reports the
 * transport without `bytesSent` / `bytesReceived`, so without them the selected
 * candidate pair counts (the transport's `selectedCandidatePairId`, else the pair
 * flagged selected or nominated and succeeded), and failing that every candidate pair.
 */
export function bytesOf(stats) {
  let transportBytes = null;
  const selectedIds = new Set();
  const pairs = [];
  stats.forEach((report) => {
    if (report.type === "transport") {
      if (report.selectedCandidatePairId) selectedIds.add(report.selectedCandidatePairId);
      if (typeof report.bytesSent === "number" || typeof report.bytesReceived === "number") {
        transportBytes = (transportBytes ?? 0) + (report.bytesSent || 0) + (report.bytesReceived || 0);
      }
    } else if (report.type === "candidate-pair") {
      pairs.push(report);
    }
  });
  if (transportBytes !== null) return transportBytes;
  let counted = pairs.filter((pair) => selectedIds.has(pair.id));
  if (!counted.length) counted = pairs.filter((pair) => pair.selected || (pair.nominated && pair.state === "succeeded"));
  if (!counted.length) counted = pairs;
  return counted.reduce((sum, pair) => sum + (pair.bytesSent || 0) + (pair.bytesReceived || 0), 0);
}

/**
 * Round-trip time (s, the worst seen, or null), the loss the other side reports for what
 * we send (`remoteLoss`, 0–1), and the inbound packet counters (`lost`, `received`).
 */
export function qualityOf(stats) {
  let rtt = null;
  let remoteLoss = 0;
  let lost = 0;
  let received = 0;
  stats.forEach((report) => {
    if (report.type === "candidate-pair" && (report.nominated || report.selected) && report.state === "succeeded") {
      if (typeof report.currentRoundTripTime === "number") rtt = Math.max(rtt ?? 0, report.currentRoundTripTime);
    } else if (report.type === "remote-inbound-rtp") {
      if (typeof report.roundTripTime === "number") rtt = Math.max(rtt ?? 0, report.roundTripTime);
      if (typeof report.fractionLost === "number") remoteLoss = Math.max(remoteLoss, report.fractionLost);
    } else if (report.type === "inbound-rtp") {
      lost += Math.max(0, report.packetsLost || 0);
      received += report.packetsReceived || 0;
    }
  });
  return { rtt, remoteLoss, lost, received };
}
