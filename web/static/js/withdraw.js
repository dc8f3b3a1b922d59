// Withdrawing consent on the recipient's call page: as easy as consent, one click ends
// the media at once. Loaded with the call (the button is there from the first paint).
import { errorCode, request } from "./signaling.js";

/** `call`: call.js's Call (its socket, stage, leave and urls). */
export function startWithdrawal(call) {
  const button = document.getElementById("withdraw");
  button?.addEventListener("click", async () => {
    if (call.leaving || !call.socket?.connected) return;
    button.disabled = true;
    try {
      await request(call.socket, "consent.withdraw", {});
    } catch (err) {
      console.warn("call: withdrawal failed:", errorCode(err));
      call.stage.setStatus("withdraw_failed");
      button.disabled = false;
      return;
    }
    call.leave(call.urls.withdrawn);
  });
}
