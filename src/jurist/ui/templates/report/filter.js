(function () {
  "use strict";
  var q = document.getElementById("q"), f = document.getElementById("f"), e = document.getElementById("e");
  var shown = document.getElementById("shown");
  var rows = document.querySelectorAll("section.row");
  function apply() {
    var text = q.value.toLowerCase(), sel = f.value, err = e.checked, n = 0, key = null, val = null;
    if (sel) { var p = sel.indexOf(":"); key = sel.slice(0, p); val = sel.slice(p + 1); }
    for (var i = 0; i < rows.length; i++) {
      var r = rows[i], ok = true;
      if (err && r.getAttribute("data-error") !== "1") { ok = false; }
      if (ok && key !== null && r.getAttribute("data-v" + key) !== val) { ok = false; }
      if (ok && text && r.textContent.toLowerCase().indexOf(text) < 0) { ok = false; }
      r.hidden = !ok;
      if (ok) { n++; }
    }
    shown.textContent = String(n);
  }
  [q, f, e].forEach(function (x) { x.addEventListener("input", apply); x.addEventListener("change", apply); });
  apply();
})();
