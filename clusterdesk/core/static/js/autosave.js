/* Autosave for the forms that take typed data: the application form (附件1, one <form> per
 * section) and the re-review form (附件3, one section).
 *
 * Each <form data-autosave> is one section. Changes are saved shortly after the clerk types,
 * one request at a time per section, with the section's version so that a save from an older
 * tab is refused instead of overwriting. Inputs are never replaced by the server's answer, so
 * nothing being typed is lost. Until the server confirms, the section's values are also kept
 * in localStorage and offered back after a reload. Another form on the page that leaves it
 * (an evidence upload, a removal) first waits for pending saves, so an upload never loses what
 * was typed. Plain JS, no libraries, served locally.
 */
(function () {
  "use strict";
  var script = document.currentScript;
  var appId = script ? script.getAttribute("data-app") : "";
  var INPUT_DELAY = 1200, CHANGE_DELAY = 300, RETRY_DELAY = 5000;

  function storageKey(section) { return "clusterdesk:app:" + appId + ":" + section; }

  function setStatus(state, text, tone) {
    state.status.textContent = text;
    state.status.className = "save-status" + (tone ? " tone-" + tone : "");
  }

  function clearErrors(form) {
    form.querySelectorAll(".has-error").forEach(function (el) { el.classList.remove("has-error"); });
    form.querySelectorAll("p.error").forEach(function (el) { el.remove(); });
    var box = form.querySelector(".section-errors");
    if (box) { box.innerHTML = ""; }
  }

  function showErrors(form, errors, detail) {
    clearErrors(form);
    var box = form.querySelector(".section-errors");
    var unplaced = [];
    errors.forEach(function (err) {
      var holder = form.querySelector('[data-input="' + err.input + '"]');
      if (!holder) { unplaced.push(err.message); return; }
      holder.classList.add("has-error");
      var p = document.createElement("p");
      p.className = "error";
      p.textContent = err.message;
      holder.appendChild(p);
    });
    if (!errors.length && detail) { unplaced.push(detail); }
    if (box && unplaced.length) {
      var ul = document.createElement("ul");
      unplaced.forEach(function (m) { var li = document.createElement("li"); li.textContent = m; ul.appendChild(li); });
      box.appendChild(ul);
    }
  }

  function renumber(tbody) {
    Array.prototype.forEach.call(tbody.querySelectorAll("tr[data-row]"), function (row, index) {
      row.querySelectorAll("[name]").forEach(function (el) {
        el.name = el.name.replace(/-(\d+|__i__)-/, "-" + index + "-");
      });
      row.querySelectorAll("[data-input]").forEach(function (el) {
        el.setAttribute("data-input", el.getAttribute("data-input").replace(/-(\d+|__i__)-/, "-" + index + "-"));
      });
      var num = row.querySelector(".rownum");
      if (num) { num.textContent = index + 1; }
    });
  }

  function addRow(form, list) {
    var template = form.querySelector('template[data-row-template="' + list + '"]');
    var tbody = form.querySelector('[data-rows="' + list + '"] tbody');
    var row = template.content.firstElementChild.cloneNode(true);
    tbody.appendChild(row);
    renumber(tbody);
    return row;
  }

  function snapshot(form) {
    var entries = [];
    new FormData(form).forEach(function (value, name) {
      if (name !== "csrfmiddlewaretoken") { entries.push([name, value]); }
    });
    var rows = {};
    form.querySelectorAll("[data-rows]").forEach(function (table) {
      rows[table.getAttribute("data-rows")] = table.querySelectorAll("tbody tr[data-row]").length;
    });
    return { time: new Date().toLocaleString("zh-CN"), entries: entries, rows: rows };
  }

  function restore(form, saved) {
    Object.keys(saved.rows || {}).forEach(function (list) {
      var tbody = form.querySelector('[data-rows="' + list + '"] tbody');
      while (tbody.querySelectorAll("tr[data-row]").length < saved.rows[list]) { addRow(form, list); }
    });
    var values = {};
    saved.entries.forEach(function (pair) { (values[pair[0]] = values[pair[0]] || []).push(pair[1]); });
    form.querySelectorAll("[name]").forEach(function (el) {
      if (el.name === "csrfmiddlewaretoken" || el.name === "_version") { return; }
      var wanted = values[el.name] || [];
      if (el.type === "checkbox" || el.type === "radio") {
        el.checked = wanted.indexOf(el.value) !== -1;
      } else if (el.multiple) {
        Array.prototype.forEach.call(el.options, function (o) { o.selected = wanted.indexOf(o.value) !== -1; });
      } else {
        el.value = wanted.length ? wanted[0] : "";
      }
    });
  }

  function updateProgress(progress) {
    if (!progress) { return; }
    Object.keys(progress.sections).forEach(function (key) {
      var li = document.querySelector('[data-progress="' + key + '"]');
      if (li) { li.classList.toggle("done", !!progress.sections[key]); }
    });
    var count = document.querySelector("[data-missing-count]");
    if (count) {
      count.textContent = progress.ready ? "已填写完整，可以提交" : "还有 " + progress.missing.length + " 项未完成";
    }
  }

  function updateComputed(computed) {
    if (!computed) { return; }
    Object.keys(computed.years).forEach(function (year) {
      ["sme_share", "leading_share"].forEach(function (key) {
        var cell = document.querySelector('[data-computed="' + key + "-" + year + '"]');
        if (cell) { cell.textContent = computed.years[year][key]; }
      });
    });
    var growth = document.querySelector('[data-computed="growth"]');
    if (growth) { growth.textContent = computed.growth; }
    var note = document.querySelector('[data-computed="growth_note"]');
    if (note) { note.textContent = computed.growth_note; }
  }

  var states = [];

  // Called once nothing of the section is pending any more (saved, refused or failed).
  function settled(state) {
    if (state.inFlight || state.pending) { return; }
    var waiters = state.waiters;
    state.waiters = [];
    waiters.forEach(function (f) { f(); });
  }

  function save(state) {
    if (state.blocked) { settled(state); return; }
    if (state.inFlight) { state.pending = true; return; }
    clearTimeout(state.timer);
    var form = state.form;
    form.querySelectorAll("[data-rows] tbody").forEach(renumber);
    var sentAt = state.changes;
    state.inFlight = true;
    setStatus(state, "正在保存…", "");
    // the attribute, not form.action: a control named "action" (the report's buttons) shadows it
    fetch(form.getAttribute("action") || window.location.href, {
      method: "POST",
      body: new FormData(form),
      headers: { "Accept": "application/json", "X-Requested-With": "fetch" },
      credentials: "same-origin"
    }).then(function (response) {
      return response.json().then(function (body) { return { status: response.status, body: body }; },
        function () { return { status: response.status, body: null }; });
    }).then(function (result) {
      state.inFlight = false;
      var body = result.body || {};
      if (result.status === 200 && body.ok) {
        form.querySelector('input[name="_version"]').value = body.version;
        clearErrors(form);
        updateProgress(body.progress);
        updateComputed(body.computed);
        document.body.dispatchEvent(new CustomEvent("cd:saved", { detail: { section: state.section } }));
        if (state.changes === sentAt) {
          state.dirty = false;
          localStorage.removeItem(storageKey(state.section));
          setStatus(state, "已保存 " + body.saved_at, "ok");
        }
      } else if (result.status === 409) {
        state.blocked = true;
        showErrors(form, [], body.detail || "保存冲突");
        setStatus(state, "未保存：与其他窗口的保存冲突", "danger");
        var box = form.querySelector(".section-errors");
        var reload = document.createElement("button");
        reload.type = "button"; reload.className = "btn"; reload.textContent = "载入最新内容（您未保存的输入会保留在本机，可在载入后恢复）";
        reload.addEventListener("click", function () { window.location.reload(); });
        box.appendChild(reload);
      } else if (result.status === 400) {
        showErrors(form, body.errors || [], body.detail);
        setStatus(state, "未保存：有 " + Math.max((body.errors || []).length, 1) + " 处需要修正，修正后会自动保存", "danger");
      } else if (result.status === 507) {
        // The server's disk is full: say so, keep the input (here and in localStorage) and try again later.
        showErrors(form, [], body.detail || "服务器存储空间已满，您的修改没有保存");
        setStatus(state, "未保存：服务器存储空间已满，您的输入已保留在本机，稍后自动重试", "danger");
        state.timer = setTimeout(function () { save(state); }, RETRY_DELAY * 6);
      } else if (result.status === 401 || result.status === 302 || result.status === 403) {
        setStatus(state, "未保存：登录已过期，请在新窗口重新登录后回到本页（您的输入已保留在本机）", "danger");
      } else {
        throw new Error("HTTP " + result.status);
      }
      if (state.pending) { state.pending = false; save(state); }
      settled(state);
    }).catch(function () {
      state.inFlight = false;
      setStatus(state, "网络异常，尚未保存，稍后自动重试（您的输入已保留在本机）", "danger");
      state.timer = setTimeout(function () { save(state); }, RETRY_DELAY);
      settled(state);
    });
  }

  function touched(state, delay) {
    state.dirty = true;
    state.changes += 1;
    try { localStorage.setItem(storageKey(state.section), JSON.stringify(snapshot(state.form))); } catch (e) { /* storage full or off */ }
    if (state.blocked) { return; }
    setStatus(state, "有未保存的修改…", "warn");
    clearTimeout(state.timer);
    state.timer = setTimeout(function () { save(state); }, delay);
  }

  document.querySelectorAll("form[data-autosave]").forEach(function (form) {
    var state = {
      form: form, section: form.getAttribute("data-section"), status: form.querySelector(".save-status"),
      dirty: false, inFlight: false, pending: false, blocked: false, changes: 0, timer: null, waiters: []
    };
    states.push(state);
    form.addEventListener("input", function (e) { if (e.target.name) { touched(state, INPUT_DELAY); } });
    form.addEventListener("change", function (e) { if (e.target.name) { touched(state, CHANGE_DELAY); } });
    form.addEventListener("submit", function (e) {
      // A button marked data-send (保存并提交) posts the whole form as usual: it carries every value.
      if (e.submitter && e.submitter.hasAttribute("data-send")) {
        leaving = true;
        clearTimeout(state.timer);
        localStorage.removeItem(storageKey(state.section));  // the post carries it; the answer shows it
        return;
      }
      e.preventDefault();
      save(state);
    });
    form.addEventListener("click", function (e) {
      var add = e.target.closest("[data-add-row]");
      if (add) {
        var row = addRow(form, add.getAttribute("data-add-row"));
        var first = row.querySelector("input");
        if (first) { first.focus(); }
        return;
      }
      var remove = e.target.closest("[data-remove-row]");
      if (remove) {
        var tr = remove.closest("tr");
        // A row with something typed in is removed only after the clerk confirms (data-confirm).
        var filled = Array.prototype.some.call(tr.querySelectorAll("input"), function (i) {
          return (i.type === "checkbox" || i.type === "radio") ? i.checked : i.value.trim() !== "";
        });
        var question = remove.getAttribute("data-confirm");
        if (filled && question && !window.confirm(question)) { return; }
        var tbody = tr.parentNode;
        tr.remove();
        if (!tbody.querySelector("tr[data-row]")) { addRow(form, tbody.parentNode.getAttribute("data-rows")); }
        renumber(tbody);
        touched(state, CHANGE_DELAY);
      }
    });
    form.querySelectorAll("[data-rows] tbody").forEach(renumber);
  });

  // Offer back what a previous visit typed but the server never confirmed.
  var banner = document.querySelector("[data-restore-banner]");
  var leftovers = states.filter(function (s) { return localStorage.getItem(storageKey(s.section)); });
  if (banner && leftovers.length) {
    banner.hidden = false;
    banner.querySelector("[data-restore-time]").textContent = JSON.parse(localStorage.getItem(storageKey(leftovers[0].section))).time;
    banner.querySelector("[data-restore]").addEventListener("click", function () {
      leftovers.forEach(function (s) {
        restore(s.form, JSON.parse(localStorage.getItem(storageKey(s.section))));
        touched(s, CHANGE_DELAY);
      });
      banner.hidden = true;
    });
    banner.querySelector("[data-restore-discard]").addEventListener("click", function () {
      leftovers.forEach(function (s) { localStorage.removeItem(storageKey(s.section)); });
      banner.hidden = true;
    });
  }

  // Another form of the page (an evidence upload, a removal) is sent only after the typed input
  // is saved: the page it leads to shows the saved values. If a save is refused, the input stays
  // in localStorage and is offered back after the upload.
  var leaving = false;
  document.addEventListener("submit", function (e) {
    var other = e.target;
    if (e.defaultPrevented || other.hasAttribute("data-autosave")) { return; }
    var waiting = states.filter(function (s) { return s.dirty || s.inFlight; });
    if (!waiting.length) { return; }
    e.preventDefault();
    var left = waiting.length;
    waiting.forEach(function (s) {
      s.waiters.push(function () {
        left -= 1;
        if (left === 0) { leaving = true; other.submit(); }
      });
      if (!s.inFlight) { clearTimeout(s.timer); save(s); }
    });
  });

  window.addEventListener("beforeunload", function (e) {
    if (!leaving && states.some(function (s) { return s.dirty || s.inFlight; })) {
      e.preventDefault();
      e.returnValue = "";
    }
  });
})();
