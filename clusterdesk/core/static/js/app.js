/* Behaviour shared by every page. Plain JS, served locally. */
(function () {
  "use strict";
  // A button marked data-once is disabled right after its form is sent: no double submissions.
  document.addEventListener("submit", function (e) {
    var button = e.target.querySelector("button[data-once]");
    if (button && !e.defaultPrevented) { setTimeout(function () { button.disabled = true; }, 0); }
  });
  // data-confirm="…" asks before sending a form.
  document.addEventListener("submit", function (e) {
    var message = e.target.getAttribute("data-confirm");
    if (message && !window.confirm(message)) { e.preventDefault(); e.stopImmediatePropagation(); }
  }, true);
  // data-print on a button prints the page (no inline handlers: the Content-Security-Policy forbids them).
  document.addEventListener("click", function (e) {
    var button = e.target.closest && e.target.closest("[data-print]");
    if (button) { e.preventDefault(); window.print(); }
  });
  // Top-bar menus (<details class="navmenu">): one open at a time; Escape or a click elsewhere
  // closes them, Escape returning the focus to the menu's summary (keyboard users stay in place).
  document.addEventListener("toggle", function (e) {
    var menu = e.target;
    if (!menu.classList || !menu.classList.contains("navmenu") || !menu.open) { return; }
    document.querySelectorAll("details.navmenu[open]").forEach(function (other) {
      if (other !== menu) { other.open = false; }
    });
  }, true);
  document.addEventListener("keydown", function (e) {
    if (e.key !== "Escape") { return; }
    var menu = document.activeElement && document.activeElement.closest && document.activeElement.closest("details.navmenu[open]");
    document.querySelectorAll("details.navmenu[open]").forEach(function (open) { open.open = false; });
    if (menu) { menu.querySelector("summary").focus(); }
  });
  document.addEventListener("click", function (e) {
    if (e.target.closest && e.target.closest("details.navmenu")) { return; }
    document.querySelectorAll("details.navmenu[open]").forEach(function (open) { open.open = false; });
  });
  // A refusal answered to an htmx request (core/_refusal.html, status 400-409, or 507 for a full
  // disk) is shown in the request's target like any answer, instead of being dropped.
  document.addEventListener("htmx:beforeSwap", function (e) {
    var xhr = e.detail.xhr;
    if (xhr && ((xhr.status >= 400 && xhr.status < 500) || xhr.status === 507) && xhr.getResponseHeader("HX-Reswap")) {
      e.detail.shouldSwap = true;
      e.detail.isError = false;
    }
  });
})();
