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
  // What went wrong with an htmx request that got no fragment to show (CSRF or session expired,
  // proxy limit, server error, network): said in Chinese in the element's [data-error-slot].
  function chosenFiles(elt) {
    var names = [];
    Array.prototype.forEach.call(elt.querySelectorAll("input[type=file]"), function (input) {
      Array.prototype.forEach.call(input.files || [], function (f) { names.push("“" + f.name + "”"); });
    });
    return names.join("、");
  }
  function sayError(elt, text, lead) {
    var slot = elt.matches("[data-error-slot]") ? elt : elt.querySelector("[data-error-slot]");
    if (!slot) { return; }
    var files = chosenFiles(elt);
    var p = document.createElement(slot.tagName === "SPAN" ? "span" : "p");
    p.className = "error";
    p.setAttribute("role", "alert");
    p.textContent = (lead !== undefined ? lead : files ? "文件" + files + "没有上传：" : "") + text;
    slot.textContent = "";
    slot.appendChild(p);
  }
  function statusText(status) {
    if (status === 0) { return "网络中断，请检查网络后重试"; }
    if (status === 403) { return "页面已过期或登录已失效，请刷新页面（必要时重新登录）后重试"; }
    if (status === 413) { return "文件太大，服务器拒绝接收；请压缩或拆分后分别上传"; }
    return "服务器返回 " + status + "，请稍后重试；如果反复出现请联系系统管理员";
  }
  document.addEventListener("htmx:beforeSwap", function (e) {
    var xhr = e.detail.xhr;
    if (xhr && xhr.responseURL && xhr.responseURL.indexOf("/login/") !== -1) {  // the session ended
      e.detail.shouldSwap = false;  // detail.elt is the target here; the requesting element is in requestConfig
      sayError((e.detail.requestConfig && e.detail.requestConfig.elt) || e.detail.elt, "登录已过期，请刷新页面重新登录后再试");
    }
  });
  document.addEventListener("htmx:responseError", function (e) {
    if (e.detail.xhr.getResponseHeader("HX-Reswap")) { return; }  // a refusal fragment, swapped above
    sayError(e.detail.elt, statusText(e.detail.xhr.status));
  });
  document.addEventListener("htmx:sendError", function (e) { sayError(e.detail.elt, statusText(0)); });

  // Uploads by htmx (a form marked data-upload): files over data-max-mb are refused before
  // sending; a <progress> inside .upload-progress follows htmx:xhr:progress; the form is reset
  // once the server has answered with a fragment (a network failure keeps the chosen files).
  var MB = 1024 * 1024;
  function uploadParts(form) {
    var box = form.querySelector(".upload-progress");
    return box && { box: box, bar: box.querySelector("progress"), text: box.querySelector(".upload-progress-text") };
  }
  document.addEventListener("htmx:beforeRequest", function (e) {
    var form = e.detail.elt;
    if (!form.matches || !form.matches("form[data-upload]")) { return; }
    var limit = Number(form.getAttribute("data-max-mb"));
    var slot = form.querySelector("[data-error-slot]");
    if (slot) { slot.textContent = ""; }
    var big = [];
    Array.prototype.forEach.call(form.querySelectorAll("input[type=file]"), function (input) {
      Array.prototype.forEach.call(input.files || [], function (f) { if (limit && f.size > limit * MB) { big.push(f); } });
    });
    if (big.length) {
      e.preventDefault();
      sayError(form, big.map(function (f) { return "“" + f.name + "”大小为 " + (f.size / MB).toFixed(1) + " MB"; }).join("、")
        + "，超过了单个文件 " + limit + " MB 的上限；请压缩（如降低扫描分辨率）或拆分成几个文件后重新选择上传",
        "没有上传任何文件：");
      return;
    }
    var parts = uploadParts(form);
    if (parts) { parts.bar.value = 0; parts.text.textContent = "上传中 0%"; parts.box.hidden = false; }
  });
  document.addEventListener("htmx:xhr:progress", function (e) {
    var parts = e.target.matches && e.target.matches("form[data-upload]") && uploadParts(e.target);
    if (!parts || !e.detail.lengthComputable || !e.detail.total) { return; }
    var percent = Math.floor(e.detail.loaded * 100 / e.detail.total);
    if (percent < parts.bar.value) { return; }  // the answer's download progress comes after the upload's
    parts.bar.value = percent;
    parts.text.textContent = percent < 100 ? "上传中 " + percent + "%" : "正在检查文件……";
  });
  document.addEventListener("htmx:afterRequest", function (e) {
    var form = e.detail.elt;
    if (!form.matches || !form.matches("form[data-upload]")) { return; }
    var parts = uploadParts(form);
    if (parts) { parts.box.hidden = true; }
    var xhr = e.detail.xhr;
    if (e.detail.successful || (xhr && xhr.getResponseHeader("HX-Reswap"))) { form.reset(); }
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
