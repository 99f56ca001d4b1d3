// The editor: jump to a line named by an error, keep unsaved text from being lost, accept an
// LLM suggestion into the text, confirm destructive buttons.
(function () {
  "use strict";
  function textarea() { return document.getElementById("source"); }

  function gotoLine(n) {
    var box = textarea();
    if (!box) return;
    var lines = box.value.split("\n");
    var start = 0;
    for (var i = 0; i < Math.min(n - 1, lines.length); i++) start += lines[i].length + 1;
    var end = start + (lines[n - 1] || "").length;
    box.focus();
    box.setSelectionRange(start, end);
    var lineHeight = parseFloat(getComputedStyle(box).lineHeight) || 18;
    box.scrollTop = Math.max(0, (n - 3) * lineHeight);
  }

  var saved = null;
  document.addEventListener("DOMContentLoaded", function () {
    var box = textarea();
    if (box) saved = box.value;
    var form = document.getElementById("editor-form");
    if (form) form.addEventListener("submit", function () { saved = null; });
  });
  window.addEventListener("beforeunload", function (event) {
    var box = textarea();
    if (box && saved !== null && box.value !== saved && !box.readOnly) {
      event.preventDefault();
      event.returnValue = "";
    }
  });

  document.addEventListener("click", function (event) {
    var link = event.target.closest(".goto-line");
    if (link) {
      event.preventDefault();
      gotoLine(parseInt(link.dataset.line, 10) || 1);
      return;
    }
    var use = event.target.closest(".use-suggestion");
    if (use) {
      var source = use.parentElement.querySelector(".suggested-source");
      var box = textarea();
      if (source && box) {
        box.value = source.value;
        box.dispatchEvent(new Event("input", { bubbles: true }));
        box.focus();
      }
    }
  });
  document.addEventListener("submit", function (event) {
    var message = event.target.dataset && event.target.dataset.confirm;
    if (message && !window.confirm(message)) event.preventDefault();
  }, true);
})();
