// The landing page's choice of the data-saving mode a call starts in (this browser
// only, localStorage); the call page reads it (datasaver.js) and may change it.
import { loadPreference, savePreference } from "./datamodes.js";
import { t } from "./i18n.js";

const root = document.getElementById("datamode-default");

if (root) {
  const status = document.getElementById("datamode-default-saved");
  const radios = [...root.querySelectorAll("input[name='datamode-default']")];
  const current = loadPreference();
  for (const radio of radios) {
    radio.checked = radio.value === current;
    radio.addEventListener("change", () => {
      if (!radio.checked) return;
      const saved = savePreference(radio.value);
      status.textContent = saved ? t("datamode_default_saved") : t("datamode_default_not_saved");
    });
  }
  root.hidden = false;
}
