/* The review form's 逐项意见 (issue 15 §6): "再加一项" adds one more field/comment row. */
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-fc-add]");
    if (!button) { return; }
    var rows = button.closest("[data-fc-rows]").querySelectorAll("[data-fc-row]");
    var last = rows[rows.length - 1];
    var copy = last.cloneNode(true);
    copy.querySelectorAll("select, input").forEach(function (el) { el.value = ""; });
    last.parentNode.insertBefore(copy, button);
    copy.querySelector("select").focus();
  });
})();
