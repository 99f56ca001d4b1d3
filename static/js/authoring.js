// The editor: jump to a line named by an error; keep the text in this browser until it is saved
// (a closed tab, an expired session or a refused save loses nothing); accept an LLM suggestion
// into the text; say so when the preview cannot be fetched.
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

  // -- the text kept in localStorage until the server has it --------------------------------
  function key(box) { return box.dataset.localKey; }
  function keep(box) {
    try { localStorage.setItem(key(box), JSON.stringify({ text: box.value, at: Date.now() })); } catch (e) { /* full or private */ }
  }
  function kept(box) {
    try { return JSON.parse(localStorage.getItem(key(box)) || "null"); } catch (e) { return null; }
  }
  function forget(box) { try { localStorage.removeItem(key(box)); } catch (e) { /* ignore */ } }

  var saved = null;
  document.addEventListener("DOMContentLoaded", function () {
    var box = textarea();
    if (!box || !key(box)) return;
    saved = box.dataset.unsaved ? "\u0000" : box.value;  // a refused save: the text is not on the server
    var created = box.dataset.forgetKey;  // the "new question" text that became this draft
    try {
      var earlier = created && JSON.parse(localStorage.getItem(created) || "null");
      if (earlier && earlier.text === box.value) localStorage.removeItem(created);
    } catch (e) { /* ignore */ }
    var local = kept(box);
    var notice = document.getElementById("restored-text");
    if (local && local.text !== box.value && !box.readOnly && notice) {
      notice.hidden = false;
      document.getElementById("restore-local").addEventListener("click", function () {
        box.value = local.text;
        box.dispatchEvent(new Event("input", { bubbles: true }));
        notice.hidden = true;
      });
      document.getElementById("discard-local").addEventListener("click", function () {
        forget(box);
        notice.hidden = true;
      });
    } else if (local && local.text === box.value && !box.dataset.unsaved) {
      forget(box);  // the server has it
    }
    box.addEventListener("input", function () { keep(box); });
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

  // KaTeX (app.js, throwOnError false) marks a formula it cannot render: say so above the preview
  document.addEventListener("htmx:afterSettle", function () {
    var preview = document.getElementById("preview");
    if (!preview) return;
    var broken = preview.querySelectorAll(".preview-question .katex-error");
    var old = preview.querySelector(".math-errors");
    if (old) old.remove();
    if (!broken.length) return;
    var box = document.createElement("div");
    box.className = "check-errors math-errors";
    box.setAttribute("role", "alert");
    var title = document.createElement("h2");
    title.textContent = document.documentElement.lang === "en" ? "Formulas KaTeX cannot render" : "KaTeX 无法渲染的公式";
    box.appendChild(title);
    var list = document.createElement("ul");
    broken.forEach(function (el) {
      var item = document.createElement("li");
      item.textContent = (el.getAttribute("title") || "").replace(/^ParseError: /, "") || el.textContent;
      list.appendChild(item);
    });
    box.appendChild(list);
    preview.prepend(box);
  });

  document.addEventListener("htmx:responseError", function (event) {
    var preview = document.getElementById("preview");
    if (!preview || event.detail.target !== preview) return;
    var text = event.detail.xhr.responseText || "";
    var message = document.createElement("p");
    message.className = "notice error";
    message.setAttribute("role", "alert");
    message.textContent = text.length < 500 && text.indexOf("<") < 0 ? text : "预览失败（" + event.detail.xhr.status + "）";
    preview.replaceChildren(message);
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
})();
