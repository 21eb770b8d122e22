/* The new-round form: keep the suggested name in step with the year while the name has not been
   changed by hand. */
(function () {
  "use strict";
  var year = document.getElementById("id_year"), name = document.getElementById("id_name");
  if (!year || !name) return;
  var suggest = function (y) { return y + "年度中小企业特色产业集群申报推荐"; };
  var last = suggest(year.value);
  year.addEventListener("input", function () {
    if (name.value === last && /^\d{4}$/.test(year.value)) { last = suggest(year.value); name.value = last; }
  });
})();
