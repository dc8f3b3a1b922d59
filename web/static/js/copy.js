// Copy buttons: <button data-copy="input-id" data-done="Copied">. Falls back to selecting
// the text when the Clipboard API is not available (plain http, old browsers).
for (const button of document.querySelectorAll("button[data-copy]")) {
  const input = document.getElementById(button.dataset.copy);
  if (!input) continue;
  const label = button.textContent;
  button.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(input.value);
    } catch {
      input.select();
      document.execCommand("copy");
    }
    button.textContent = button.dataset.done || label;
    setTimeout(() => { button.textContent = label; }, 2000);
  });
}
