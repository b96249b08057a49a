// The labelling queue's keys: y / n save yes / no and go on, j or → next, k or ← previous, Esc leaves a text box.
"use strict";

(function () {
  const form = document.getElementById("label-form");
  if (!form) return;
  function typing(t) {
    return t && (t.tagName === "TEXTAREA" || t.tagName === "SELECT" ||
                 (t.tagName === "INPUT" && t.type !== "radio" && t.type !== "checkbox"));
  }
  function choose(value) {
    const radio = form.querySelector('input[type=radio][name=value][data-value="' + value + '"]');
    if (!radio) return false;
    radio.checked = true;
    form.requestSubmit();
    return true;
  }
  function follow(id) {
    const a = document.getElementById(id);
    if (a) window.location.assign(a.href);
  }
  document.addEventListener("keydown", function (e) {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    if (typing(e.target)) {
      if (e.key === "Escape") e.target.blur();
      return;
    }
    if (e.key === "y" && choose("yes")) e.preventDefault();
    else if (e.key === "n" && choose("no")) e.preventDefault();
    else if (e.key === "j" || e.key === "ArrowRight") { e.preventDefault(); follow("next"); }
    else if (e.key === "k" || e.key === "ArrowLeft") { e.preventDefault(); follow("prev"); }
  });
})();
