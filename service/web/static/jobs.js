// The job page: poll the job's state every second and redraw progress, failures and downloads.
(function () {
  var box = document.getElementById("job");
  var bar = document.getElementById("tien-do");
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
      li.textContent = "Dòng " + f.row + " (" + f.commune + "): " + f.error;
      return li;
    }));
    document.getElementById("tai-ve").hidden = !job.outputs_ready;
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
