/* The shared file picker (core/_file_input.html): show the chosen file names beside the button.
   Also called after a script empties the input (it sends a "change" event). */
(function () {
  "use strict";
  function show(input) {
    var box = input.closest("[data-file-pick]");
    var out = box && box.querySelector(".file-pick-name");
    if (!out) { return; }
    var names = Array.prototype.map.call(input.files || [], function (f) { return f.name; });
    if (!names.length) {
      out.textContent = input.multiple ? "未选择文件（可多选）" : "未选择文件";
    } else if (names.length === 1) {
      out.textContent = names[0];
    } else {
      out.textContent = "已选 " + names.length + " 个文件：" + names.join("、");
    }
    out.title = names.join("\n");
    box.classList.toggle("file-pick-chosen", names.length > 0);
  }
  document.addEventListener("change", function (e) {
    if (e.target && e.target.classList && e.target.classList.contains("file-pick-input")) { show(e.target); }
  });
  document.addEventListener("reset", function (e) {
    setTimeout(function () {
      Array.prototype.forEach.call(e.target.querySelectorAll(".file-pick-input"), show);
    }, 0);
  });
  // A page restored from the back/forward cache may still hold chosen files.
  Array.prototype.forEach.call(document.querySelectorAll(".file-pick-input"), show);
})();
