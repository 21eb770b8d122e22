/* Batch forms (批量办理): a "select all" box ticks every box of its group. The boxes may sit
   outside the form (``form="…"`` attribute); the server checks everything. */
(function () {
  "use strict";
  document.querySelectorAll("input[data-select-all]").forEach(function (all) {
    var selector = all.getAttribute("data-select-all");
    function boxes() { return document.querySelectorAll(selector); }
    all.addEventListener("change", function () {
      boxes().forEach(function (box) { if (!box.disabled) { box.checked = all.checked; } });
    });
    document.addEventListener("change", function (event) {
      if (event.target === all || !event.target.matches(selector)) { return; }
      var list = Array.prototype.slice.call(boxes());
      all.checked = list.length > 0 && list.every(function (box) { return box.checked || box.disabled; });
    });
  });
})();
