/* Evidence page: upload each chosen file with XMLHttpRequest, one after another, with a
   progress bar and a Chinese result per file; then refresh the item's file list.
   Without this script the forms post normally and the page reloads with messages. */
(function () {
  "use strict";
  if (!window.XMLHttpRequest || !window.FormData || !window.DOMParser) { return; }

  var MB = 1024 * 1024;

  function sizeText(bytes) {
    return bytes < MB ? Math.max(1, Math.round(bytes / 1024)) + " KB" : (bytes / MB).toFixed(1) + " MB";
  }

  function csrfToken(form) {
    var input = form.querySelector("input[name=csrfmiddlewaretoken]");
    if (input) { return input.value; }
    try { return JSON.parse(document.body.getAttribute("hx-headers"))["X-CSRFToken"]; } catch (e) { return ""; }
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  function addRow(list, file) {
    var li = el("li", "ev-job");
    var name = el("span", "ev-job-name", file.name + "（" + sizeText(file.size) + "）");
    var bar = el("progress");
    bar.max = 100; bar.value = 0;
    bar.setAttribute("aria-label", "“" + file.name + "”上传进度");
    var status = el("span", "ev-job-status", "等待上传");
    li.appendChild(name); li.appendChild(bar); li.appendChild(status);
    list.appendChild(li);
    return { li: li, bar: bar, status: status };
  }

  function finish(row, ok, message) {
    row.li.classList.add(ok ? "ev-ok" : "ev-err");
    row.status.textContent = message;
    if (ok) { row.bar.value = 100; } else { row.bar.hidden = true; }
    row.status.setAttribute("role", ok ? "status" : "alert");
  }

  function errorText(xhr, file) {
    var body = null;
    try { body = JSON.parse(xhr.responseText); } catch (e) { body = null; }
    if (body && body.detail) { return body.detail; }
    if (xhr.status === 403) { return "文件“" + file.name + "”没有上传：页面已过期或登录已失效，请刷新页面（必要时重新登录）后再上传"; }
    if (xhr.status === 413) { return "文件“" + file.name + "”太大，服务器拒绝接收；请压缩或拆分后分别上传"; }
    if (xhr.status === 200 && xhr.responseURL && xhr.responseURL.indexOf("/login") !== -1) {
      return "登录已过期，文件“" + file.name + "”没有上传；请刷新页面重新登录后再上传";
    }
    return "文件“" + file.name + "”上传失败（服务器返回 " + xhr.status + "），请稍后重试；如果反复出现请联系系统管理员";
  }

  function send(form, file, row, done) {
    var data = new FormData();
    data.append("csrfmiddlewaretoken", csrfToken(form));
    data.append("item", form.querySelector("input[name=item]").value);
    data.append("file", file, file.name);
    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    xhr.setRequestHeader("X-Requested-With", "XMLHttpRequest");
    xhr.setRequestHeader("X-CSRFToken", csrfToken(form));
    xhr.upload.addEventListener("progress", function (e) {
      if (e.lengthComputable) {
        var percent = Math.floor(e.loaded * 100 / e.total);
        row.bar.value = percent;
        row.status.textContent = percent < 100 ? "上传中 " + percent + "%" : "正在检查文件……";
      }
    });
    xhr.addEventListener("load", function () {
      if (xhr.status === 201) {
        var body = JSON.parse(xhr.responseText);
        finish(row, true, "已上传（" + body.file.size_text + "，SHA-256 " + body.file.sha256.slice(0, 12) + "）");
        done(true);
      } else {
        finish(row, false, errorText(xhr, file));
        done(false);
      }
    });
    xhr.addEventListener("error", function () {
      finish(row, false, "网络中断，文件“" + file.name + "”没有上传成功；请检查网络后重新选择该文件上传");
      done(false);
    });
    xhr.addEventListener("abort", function () {
      finish(row, false, "已取消，文件“" + file.name + "”没有上传");
      done(false);
    });
    row.status.textContent = "上传中 0%";
    xhr.send(data);
  }

  // Fetch the page again and swap in the fresh file lists and summary (progress lines stay).
  function refresh() {
    var xhr = new XMLHttpRequest();
    xhr.open("GET", window.location.pathname);
    xhr.addEventListener("load", function () {
      if (xhr.status !== 200) { return; }
      var doc = new DOMParser().parseFromString(xhr.responseText, "text/html");
      var summary = doc.getElementById("ev-summary");
      if (summary) { document.getElementById("ev-summary").innerHTML = summary.innerHTML; }
      Array.prototype.forEach.call(doc.querySelectorAll("section.ev-item"), function (fresh) {
        var here = document.getElementById(fresh.id);
        if (!here) { return; }
        here.classList.toggle("ev-missing", fresh.classList.contains("ev-missing"));
        var files = fresh.querySelector(".ev-files");
        var mine = here.querySelector(".ev-files");
        if (files && mine) { mine.innerHTML = files.innerHTML; }
      });
    });
    xhr.send();
  }

  document.addEventListener("submit", function (e) {
    var form = e.target;
    if (e.defaultPrevented || !form.classList || !form.classList.contains("ev-upload")) { return; }
    e.preventDefault();
    var input = form.querySelector("input[type=file]");
    var list = form.querySelector(".ev-progress");
    var button = form.querySelector("button[type=submit]");
    var files = Array.prototype.slice.call(input.files || []);
    list.innerHTML = "";
    if (!files.length) {
      var li = el("li", "ev-job ev-err", "请先点“选择文件”选好要上传的文件，再点“上传”");
      li.setAttribute("role", "alert");
      list.appendChild(li);
      return;
    }
    var maxBytes = Number(form.getAttribute("data-max-mb")) * MB;
    var rows = files.map(function (file) { return addRow(list, file); });
    var index = 0;
    button.disabled = true;
    input.disabled = true;

    function next() {
      if (index >= files.length) {
        button.disabled = false;
        input.disabled = false;
        input.value = "";
        input.dispatchEvent(new Event("change", { bubbles: true }));  // the shared picker shows "未选择文件"
        return;
      }
      var file = files[index];
      var row = rows[index];
      index += 1;
      if (maxBytes && file.size > maxBytes) {
        finish(row, false, "文件“" + file.name + "”大小为 " + (file.size / MB).toFixed(1) + " MB，超过了单个文件 "
          + form.getAttribute("data-max-mb") + " MB 的上限；请压缩或拆分成几个文件后分别上传");
        next();
        return;
      }
      send(form, file, row, function (ok) {
        if (ok) { refresh(); }
        next();
      });
    }
    next();
  });
})();
