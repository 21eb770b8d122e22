/* The scoring page: an estimate of the weighted total while typing (the server computes the real one). */
(function () {
  "use strict";
  var form = document.getElementById("score-form");
  var out = document.getElementById("score-total");
  if (!form || !out) { return; }
  function update() {
    var total = 0, filled = 0, inputs = form.querySelectorAll("input.score-input");
    inputs.forEach(function (input) {
      var value = parseFloat(input.value), max = parseFloat(input.dataset.max), weight = parseFloat(input.dataset.weight);
      if (!isNaN(value) && max > 0) { total += value / max * weight; filled += 1; }
    });
    out.textContent = filled ? total.toFixed(2) + (filled < inputs.length ? "（已评 " + filled + "/" + inputs.length + " 项）" : "") : "—";
  }
  form.addEventListener("input", update);
  update();
})();
