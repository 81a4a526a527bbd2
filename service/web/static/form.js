/* The form's little script: add, remove and reorder repeated parts; keep a draft in the
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

  function itemsOf(list) {
    var box = list.querySelector(":scope > .items");
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

  document.addEventListener("click", function (event) {
    var button = event.target.closest("button");
    if (!button) { return; }
    var add = button.getAttribute("data-add");
    if (add) {
      var list = button.closest("[data-list]");
      var template = document.getElementById("tpl-" + add);
      var item = template.content.firstElementChild.cloneNode(true);
      list.querySelector(":scope > .items").appendChild(item);
      item.setAttribute("data-key", NEW);
      renumber(list);
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

  document.addEventListener("change", function (event) {
    if (event.target.matches("select[data-autosubmit]")) { event.target.form.submit(); }
  });
  document.addEventListener("submit", function (event) {
    var message = event.target.getAttribute("data-confirm");
    if (message && !window.confirm(message)) { event.preventDefault(); }
  });

  /* Drafts: every input of the document form, kept in localStorage per document type. */
  var form = document.getElementById("doc-form");
  if (!form) { return; }
  var draftKey = form.getAttribute("data-draft-key");
  var timer = null;

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
  }
  function changed() { window.clearTimeout(timer); timer = window.setTimeout(save, 300); }
  form.addEventListener("input", changed);
  form.addEventListener("change", changed);
  form.addEventListener("submit", save);

  function hidden(target, name, value) {
    var input = document.createElement("input");
    input.type = "hidden"; input.name = name; input.value = value;
    target.appendChild(input);
  }

  var stored = null;
  try { stored = JSON.parse(localStorage.getItem(draftKey) || "null"); } catch (e) { stored = null; }
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
  }

  var clear = document.querySelector("[data-clear-draft]");
  if (clear) {
    clear.addEventListener("click", function () {
      if (!window.confirm("Xóa toàn bộ nội dung đang soạn và bắt đầu lại?")) { return; }
      localStorage.removeItem(draftKey);
      var unit = form.elements._unit.value;
      window.location = form.getAttribute("action").split("#")[0] + (unit ? "?unit=" + encodeURIComponent(unit) : "");
    });
  }
  var summary = document.getElementById("loi");
  if (summary) { summary.focus(); }
})();
