/* National selection page: the live quota counter ("已选 3 / 8"). The server enforces the quota. */
(function () {
  "use strict";
  var counter = document.querySelector("[data-quota-counter]");
  if (!counter) { return; }
  var form = counter.closest("form");
  var quota = parseInt(counter.getAttribute("data-quota"), 10);
  var warning = form.querySelector("[data-quota-warning]");
  function update() {
    var n = form.querySelectorAll("input[name=pick]:checked").length;
    counter.querySelector("[data-count]").textContent = String(n);
    counter.classList.toggle("over", n > quota);
    if (warning) { warning.hidden = n <= quota; }
    form.querySelectorAll("input[name=pick]").forEach(function (box) {
      box.closest("tr").classList.toggle("picked", box.checked);
    });
  }
  form.addEventListener("change", update);
  update();
})();
