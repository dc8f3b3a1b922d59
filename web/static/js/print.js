// The print view's button: the browser's own print dialog (print to PDF from there).
"use strict";
document.querySelectorAll("[data-print-button]").forEach((button) => {
  button.addEventListener("click", () => window.print());
});
