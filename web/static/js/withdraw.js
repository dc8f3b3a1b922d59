// Withdrawing consent on the recipient's call page: as easy as consent, one click ends
// the media at once. call.js imports this module with the first click (the waiting room
// has usually fetched it into the cache already).

/** Withdraw for `call` (call.js's Call) from `button`. */
export async function withdraw(call, button) {
  if (call.leaving || !call.socket?.connected || button.disabled) return;
  button.disabled = true;
  try {
    await call.signals.request("consent.withdraw");
  } catch (err) {
    console.warn("call: withdrawal failed:", err?.code);
    call.stage.setStatus("withdraw_failed");
    button.disabled = false;
    return;
  }
  call.leave(call.urls.withdrawn);
}
