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
})();
