// Translated UI strings are rendered by the server into
// <script type="application/json" id="i18n">{"key": "text", …}</script>
// so the client needs no locale files of its own.

let cache = null;

/**
 * All messages of the page (an empty object if none or unparsable): #i18n, plus any
 * <script type="application/json" data-i18n> that a template partial brings along.
 */
export function messages() {
  if (cache) return cache;
  cache = {};
  const nodes = [document.getElementById("i18n"), ...document.querySelectorAll("script[data-i18n]")];
  for (const node of nodes) {
    if (!node) continue;
    try {
      const parsed = JSON.parse(node.textContent || "{}");
      if (parsed && typeof parsed === "object" && !Array.isArray(parsed)) Object.assign(cache, parsed);
    } catch (err) {
      console.warn("i18n: invalid JSON in", node.id || "a data-i18n block", err);
    }
  }
  return cache;
}

/** Whether the page provides a translation for `key`. */
export function has(key) {
  // Own properties only, so keys like "constructor" never hit the prototype.
  return Object.prototype.hasOwnProperty.call(messages(), key);
}

/**
 * The translation of `key` (the key itself if missing).
 * Optional `params` fill `{name}` placeholders.
 */
export function t(key, params) {
  const text = has(key) ? String(messages()[key]) : key;
  if (!params) return text;
  return text.replace(/\{(\w+)\}/g, (match, name) =>
    Object.prototype.hasOwnProperty.call(params, name) ? String(params[name]) : match,
  );
}

/**
 * A user-facing text for a protocol error code: the page's `error_<code>`
 * translation, else the server's message, else `error_generic`, else the code.
 */
export function errorText(code, serverMessage = "") {
  if (has(`error_${code}`)) return t(`error_${code}`);
  if (serverMessage) return serverMessage;
  if (has("error_generic")) return t("error_generic");
  return code;
}
