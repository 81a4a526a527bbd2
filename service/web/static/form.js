/* The form's little script: add, remove and reorder repeated parts; paste rows from a
   spreadsheet into a table; grow text boxes with their text; keep one draft per tab in the
   browser (restored after a reload or a lost connection). No build step, no libraries. */
(function () {
  "use strict";
  var NEW = "__NEW__";
  var KEYED = ["name", "id", "for", "data-key", "aria-describedby", "href"];

  function escapeRe(text) { return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"); }

  /* Give every input under `root` the key of its new place: old prefix → new prefix. */
  function rename(root, oldKey, newKey) {
    var pattern = new RegExp("(^|[\\s#-])" + escapeRe(oldKey) + "(?=[.\\s]|$)", "g");
    var nodes = [root].concat(Array.prototype.slice.call(root.querySelectorAll("*")));
    nodes.forEach(function (el) {
      KEYED.forEach(function (attr) {
        var value = el.getAttribute(attr);
        if (value && value.indexOf(oldKey) >= 0) {
          el.setAttribute(attr, value.replace(pattern, "$1" + newKey));
        }
      });
    });
  }

  /* A list's own item box: a div of cards, or a table's body. */
  function boxOf(list) {
    return list.querySelector(":scope > .items, :scope > .grid-wrap > table > .items");
  }

  function itemsOf(list) {
    var box = boxOf(list);
    return Array.prototype.filter.call(box.children, function (el) { return el.hasAttribute("data-item"); });
  }

  /* Items are numbered by position: renumber a list after any change. */
  function renumber(list) {
    var key = list.getAttribute("data-key");
    itemsOf(list).forEach(function (item, index) {
      var wanted = key + "." + index;
      var old = item.getAttribute("data-key");
      if (old !== wanted) { rename(item, old, wanted); }
    });
  }

  function firstInput(el) {
    return el.querySelector("textarea, input:not([type=hidden]), select, button");
  }

  /* Append an empty item made from the template `tpl-<what>`; return it. */
  function addItem(list, what) {
    var template = document.getElementById("tpl-" + what);
    var item = template.content.firstElementChild.cloneNode(true);
    boxOf(list).appendChild(item);
    item.setAttribute("data-key", NEW);
    renumber(list);
    return item;
  }

  /* Text boxes grow with their text instead of scrolling inside five rows. */
  function grow(el) {
    if (el.tagName !== "TEXTAREA" || !el.offsetParent) { return; }
    el.style.height = "auto";
    el.style.height = (el.scrollHeight + el.offsetHeight - el.clientHeight) + "px";
  }
  function growAll(root) { Array.prototype.forEach.call(root.querySelectorAll("textarea"), grow); }
  document.addEventListener("input", function (event) { grow(event.target); });
  // A box inside a closed <details> has no height to measure until it opens.
  document.addEventListener("toggle", function (event) { growAll(event.target); }, true);
  growAll(document);

  document.addEventListener("click", function (event) {
    var button = event.target.closest("button");
    if (!button) { return; }
    var add = button.getAttribute("data-add");
    if (add) {
      var item = addItem(button.closest("[data-list]"), add);
      var focus = firstInput(item);
      if (focus) { focus.focus(); }
      changed();
      return;
    }
    var action = button.getAttribute("data-action");
    if (!action) { return; }
    var current = button.closest("[data-item]");
    var owner = current.parentElement.closest("[data-list]");
    if (action === "up" && current.previousElementSibling) {
      current.parentElement.insertBefore(current, current.previousElementSibling);
    } else if (action === "down" && current.nextElementSibling) {
      current.parentElement.insertBefore(current.nextElementSibling, current);
    } else if (action === "remove") {
      var typed = Array.prototype.some.call(current.querySelectorAll("textarea, input[type=text]"),
        function (el) { return el.value.trim() !== ""; });
      if (typed && !window.confirm("Xóa phần này cùng nội dung đã nhập?")) { return; }
      var next = current.nextElementSibling || current.previousElementSibling;
      current.remove();
      renumber(owner);
      var target = next ? firstInput(next) : owner.querySelector(":scope > .add button");
      if (target) { target.focus(); }
      changed();
      return;
    }
    renumber(owner);
    button.focus();
    changed();
  });

  /* Tab-separated text as a spreadsheet copies it: rows of cells, quoted cells may hold
     tabs, line breaks and doubled quotes; blank rows are dropped. */
  function parseTable(text) {
    var rows = [], row = [], cell = "", quoted = false, i = 0;
    text = text.replace(/\r\n?/g, "\n");
    while (i < text.length) {
      var ch = text.charAt(i);
      if (quoted) {
        if (ch === '"' && text.charAt(i + 1) === '"') { cell += '"'; i += 1; }
        else if (ch === '"') { quoted = false; }
        else { cell += ch; }
      } else if (ch === '"' && cell === "") { quoted = true; }
      else if (ch === "\t") { row.push(cell); cell = ""; }
      else if (ch === "\n") { row.push(cell); rows.push(row); row = []; cell = ""; }
      else { cell += ch; }
      i += 1;
    }
    if (cell !== "" || row.length) { row.push(cell); rows.push(row); }
    return rows.filter(function (r) { return r.some(function (c) { return c.trim() !== ""; }); });
  }

  function cellsOf(row) {
    return Array.prototype.slice.call(row.querySelectorAll(":scope > td > input, :scope > td > textarea"));
  }

  function nextRow(row) {
    var next = row.nextElementSibling;
    while (next && !next.hasAttribute("data-item")) { next = next.nextElementSibling; }
    return next;
  }

  /* Rows copied with the table's own header or STT column: leave those out. */
  function trimCopied(rows, list, width) {
    var heads = Array.prototype.map.call(list.querySelectorAll("thead th"), function (th) {
      return th.textContent.replace("*", "").trim().toLowerCase();
    });
    if (rows.length && rows[0].every(function (c) { return heads.indexOf(c.trim().toLowerCase()) >= 0; })) {
      rows = rows.slice(1);
    }
    var numbered = rows.length && rows.every(function (r) {
      return r.length === width + 1 && /^\d+\.?$/.test(r[0].trim());
    });
    return numbered ? rows.map(function (r) { return r.slice(1); }) : rows;
  }

  /* Several rows or cells pasted into a table cell fill the cells to the right and the rows
     below, adding rows as needed; one plain value pastes as usual. */
  document.addEventListener("paste", function (event) {
    var target = event.target;
    var row = target.closest && target.closest("tr[data-item]");
    if (!row || !event.clipboardData) { return; }
    var text = event.clipboardData.getData("text/plain");
    if (!/[\t\n]/.test(text.replace(/\s+$/, ""))) { return; }
    event.preventDefault();
    var list = row.closest("[data-list]");
    var column = cellsOf(row).indexOf(target);
    var rows = trimCopied(parseTable(text), list, cellsOf(row).length - column);
    var what = list.querySelector(":scope > .add > button[data-add]").getAttribute("data-add");
    rows.forEach(function (values, n) {
      if (n > 0) { row = nextRow(row) || addItem(list, what); }
      var inputs = cellsOf(row);
      values.forEach(function (value, c) {
        var input = inputs[column + c];
        // A one-line input keeps a cell's line breaks as spaces.
        var text = input && input.tagName === "TEXTAREA" ? value : value.replace(/\s*\n\s*/g, " ");
        if (input) { input.value = text.trim(); grow(input); }
      });
    });
    changed();
  });

  /* A number typed before a section title is dropped when printed (the document numbers its
     sections): say so beside the title, so the clerk is not surprised by `II.` for `III.`. */
  var LABEL = /^(?:[IVX]+\.|\d{1,2}(?:\.\d{1,2})*\.|[a-zđ][.)]|\([a-zđ\d]{1,2}\))\s+\S/;
  function noteNumber(input) {
    if (!/(^|\.)body\.\d+\.title$/.test(input.name || "")) { return; }
    var hint = input.parentElement.querySelector(":scope > .number-hint");
    var typed = LABEL.exec(input.value);
    if (typed && !hint) {
      hint = document.createElement("p");
      hint.className = "help number-hint";
      hint.setAttribute("role", "status");
      input.insertAdjacentElement("afterend", hint);
    }
    if (hint) {
      hint.textContent = typed ? "Số mục được đánh tự động; “" + typed[0].split(/\s/)[0] + "” gõ ở đầu tên mục sẽ không in lặp lại." : "";
      hint.hidden = !typed;
    }
  }
  document.addEventListener("input", function (event) { noteNumber(event.target); });
  Array.prototype.forEach.call(document.querySelectorAll("textarea"), noteNumber);

  document.addEventListener("change", function (event) {
    if (event.target.matches("select[data-autosubmit]")) { event.target.form.submit(); }
  });
  document.addEventListener("submit", function (event) {
    var message = event.target.getAttribute("data-confirm");
    if (message && !window.confirm(message)) { event.preventDefault(); }
  });

  /* Drafts: every input of the document form, kept in localStorage, one per form instance:
     a tab keeps its draft's id in sessionStorage, so a new tab starts a new draft and two
     plans written side by side do not overwrite each other. */
  var form = document.getElementById("doc-form");
  if (!form) { return; }
  var DAY = 24 * 3600 * 1000;
  var base = form.getAttribute("data-draft-key");
  var tabKey = "vb-draft-tab:" + base;
  var timer = null;

  function newId() { return Date.now().toString(36) + Math.random().toString(36).slice(2, 6); }
  function session(get, value) {
    try { return get ? sessionStorage.getItem(tabKey) : sessionStorage.setItem(tabKey, value); }
    catch (e) { return null; }
  }
  var asked = new URLSearchParams(window.location.search).get("nhap");
  var draftId = asked || session(true) || newId();
  session(false, draftId);
  var draftKey = base + ":" + draftId;
  try {
    // The one draft per type kept before drafts had ids becomes one of the list.
    var old = localStorage.getItem(base);
    if (old !== null) { localStorage.setItem(base + ":" + newId(), old); localStorage.removeItem(base); }
  } catch (e) { /* storage disabled */ }

  function entries() {
    var out = [];
    new FormData(form).forEach(function (value, name) {
      if (name !== "csrf_token" && name !== "_action" && name !== "_unit") { out.push([name, String(value)]); }
    });
    return out;
  }
  function save() {
    try {
      localStorage.setItem(draftKey, JSON.stringify({
        unit: form.elements._unit.value, entries: entries(), saved: Date.now()
      }));
    } catch (e) { /* storage full or disabled: the form still works */ }
    listDrafts();
  }
  function changed() { window.clearTimeout(timer); timer = window.setTimeout(save, 300); }
  form.addEventListener("input", changed);
  form.addEventListener("change", changed);
  form.addEventListener("submit", save);

  function readDraft(key) {
    try { return JSON.parse(localStorage.getItem(key) || "null"); } catch (e) { return null; }
  }
  function subjectOf(draft) {
    var found = (draft.entries || []).filter(function (pair) { return pair[0] === "subject"; })[0];
    return found && found[1].trim() ? found[1].trim() : "(chưa có trích yếu)";
  }
  function drafts() {
    var out = [];
    for (var i = 0; i < localStorage.length; i += 1) {
      var key = localStorage.key(i);
      if (key && key.indexOf(base + ":") === 0) {
        var draft = readDraft(key);
        if (draft && draft.saved < Date.now() - 30 * DAY) { localStorage.removeItem(key); i -= 1; continue; }
        if (draft) { out.push({ id: key.slice(base.length + 1), draft: draft }); }
      }
    }
    return out.sort(function (a, b) { return b.draft.saved - a.draft.saved; });
  }
  function draftLink(id, unit) {
    var path = form.getAttribute("data-form-url");
    return path + "?nhap=" + encodeURIComponent(id) + (unit ? "&unit=" + encodeURIComponent(unit) : "");
  }
  /* The open drafts of this type, newest first, this tab's marked. */
  function listDrafts() {
    var nav = document.getElementById("ban-nhap");
    if (!nav) { return; }
    var list = nav.querySelector("ul");
    var found = [];
    try { found = drafts(); } catch (e) { found = []; }
    list.textContent = "";
    found.forEach(function (one) {
      var li = document.createElement("li");
      var when = new Date(one.draft.saved).toLocaleString("vi-VN");
      if (one.id === draftId) {
        li.className = "current";
        li.textContent = subjectOf(one.draft) + " — đang soạn ở thẻ này, lưu lúc " + when;
      } else {
        var link = document.createElement("a");
        link.href = draftLink(one.id, one.draft.unit);
        link.target = "_blank";
        link.textContent = subjectOf(one.draft);
        var drop = document.createElement("button");
        drop.type = "button";
        drop.textContent = "Xóa";
        drop.setAttribute("aria-label", "Xóa bản nháp " + subjectOf(one.draft));
        drop.addEventListener("click", function () {
          if (!window.confirm("Xóa bản nháp “" + subjectOf(one.draft) + "”?")) { return; }
          localStorage.removeItem(base + ":" + one.id);
          listDrafts();
        });
        li.appendChild(link);
        li.appendChild(document.createTextNode(" — lưu lúc " + when + " "));
        li.appendChild(drop);
      }
      list.appendChild(li);
    });
    nav.hidden = !found.some(function (one) { return one.id !== draftId; });
  }
  window.addEventListener("storage", function (event) {
    if (!event.key || event.key.indexOf(base + ":") === 0) { listDrafts(); }
  });

  function hidden(target, name, value) {
    var input = document.createElement("input");
    input.type = "hidden"; input.name = name; input.value = value;
    target.appendChild(input);
  }

  var stored = readDraft(draftKey);
  if (form.getAttribute("data-fresh") === "1" && stored && stored.entries &&
      JSON.stringify(stored.entries) !== JSON.stringify(entries())) {
    // The server draws the repeated parts: post the draft back to be redrawn, unvalidated.
    var restore = document.createElement("form");
    restore.method = "post";
    restore.action = form.getAttribute("action").split("#")[0];
    hidden(restore, "csrf_token", form.elements.csrf_token.value);
    hidden(restore, "_action", "restore");
    hidden(restore, "_unit", form.elements._unit.value);
    hidden(restore, "_draft_unit", stored.unit || "");
    stored.entries.forEach(function (pair) { hidden(restore, pair[0], pair[1]); });
    document.body.appendChild(restore);
    restore.submit();
  } else if (form.getAttribute("data-fresh") !== "1") {
    save();
  } else {
    listDrafts();
  }

  var clear = document.querySelector("[data-clear-draft]");
  if (clear) {
    clear.addEventListener("click", function () {
      if (!window.confirm("Xóa toàn bộ nội dung đang soạn và bắt đầu lại?")) { return; }
      localStorage.removeItem(draftKey);
      var unit = form.elements._unit.value;
      window.location = form.getAttribute("data-form-url") + (unit ? "?unit=" + encodeURIComponent(unit) : "");
    });
  }
  var summary = document.getElementById("loi");
  if (summary) { summary.focus(); }
})();
