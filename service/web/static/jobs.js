// The job page: poll the job every second and redraw progress, failures, rows and downloads.
(function () {
  var box = document.getElementById("job");
  var bar = document.getElementById("tien-do");
  // A phone stacks the rows: each cell is labelled with its column's name, as the page drew it.
  var columns = Array.prototype.map.call(document.querySelectorAll("#cac-dong thead th"),
    function (th) { return th.textContent; });
  function cell(content, column) {
    var td = document.createElement("td");
    td.dataset.label = columns[column];
    if (typeof content === "string") { td.textContent = content; } else { content.forEach(function (c) { td.append(c); }); }
    return td;
  }
  function link(href, text) {
    var a = document.createElement("a");
    a.href = href; a.textContent = text;
    return a;
  }
  function rowLine(r) {
    var tr = document.createElement("tr");
    tr.dataset.row = r.row;
    var files = r.pdf ? [link(r.pdf, r.pdf_name), " · ", link(r.docx, "DOCX")] : (r.error || "");
    [String(r.row), r.commune, r.status_label, files].forEach(function (content, column) { tr.append(cell(content, column)); });
    return tr;
  }
  function show(job) {
    bar.max = job.total; bar.value = job.done + job.failed;
    bar.textContent = (job.done + job.failed) + "/" + job.total;
    box.querySelectorAll("[data-k]").forEach(function (el) {
      var v = job[el.dataset.k];
      el.textContent = (v === null || v === undefined) ? "…" : v;
    });
    var list = document.getElementById("loi");
    list.replaceChildren.apply(list, job.failures.map(function (f) {
      var li = document.createElement("li");
      li.textContent = "STT " + f.row + " (" + f.commune + "): " + f.error;
      return li;
    }));
    if (job.rows) {
      var body = document.querySelector("#cac-dong tbody");
      body.replaceChildren.apply(body, job.rows.map(rowLine));
    }
    // Downloads stay in place but lead nowhere until the files exist (no 409 to stumble on).
    document.querySelectorAll("#tai-ve a[data-href]").forEach(function (a) {
      if (job.outputs_ready) { a.href = a.dataset.href; a.removeAttribute("aria-disabled"); }
      else { a.removeAttribute("href"); a.setAttribute("aria-disabled", "true"); }
    });
    document.getElementById("cho-tai").hidden = job.outputs_ready;
    var cancel = document.getElementById("huy");
    if (cancel && job.state !== "running" && job.state !== "assembling") cancel.hidden = true;
    return job.outputs_ready || job.state === "cancelled";
  }
  function poll() {
    fetch(box.dataset.statusUrl, {headers: {Accept: "application/json"}})
      .then(function (r) { return r.json(); })
      .then(function (job) { if (!show(job)) setTimeout(poll, 1000); })
      .catch(function () { setTimeout(poll, 3000); });
  }
  poll();
})();
