// The printable proof: a print button (inline handlers are not allowed by the CSP).
document.getElementById("print")?.addEventListener("click", () => window.print());
