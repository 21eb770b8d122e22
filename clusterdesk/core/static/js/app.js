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
  // A refusal answered to an htmx request (core/_refusal.html, status 400-409, or 507 for a full
  // disk) is shown in the request's target like any answer, instead of being dropped.
  document.addEventListener("htmx:beforeSwap", function (e) {
    var xhr = e.detail.xhr;
    if (xhr && ((xhr.status >= 400 && xhr.status < 500) || xhr.status === 507) && xhr.getResponseHeader("HX-Reswap")) {
      e.detail.shouldSwap = true;
      e.detail.isError = false;
    }
  });
  // A refusal shown beside what caused it (core/_error_here.html): scroll it into the middle of
  // the view and put the cursor in the control it names, so the clerk sees it and fixes it.
  // Done again once the page has loaded: a redirect's #error-… anchor scrolls the error to the
  // very top (its control cut off above) and moves the focus to it.
  function showError() {
    var here = document.querySelector("[data-error-here]");
    if (!here) { return; }
    var control = here.getAttribute("data-error-for") && document.getElementById(here.getAttribute("data-error-for"));
    (control || here).scrollIntoView({ block: "center" });
    (control || here).focus({ preventScroll: true });
  }
  showError();
  window.addEventListener("load", function () { setTimeout(showError, 0); });
})();
