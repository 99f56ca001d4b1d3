// QuizBank: render math with KaTeX (served from static/) on load and after every htmx swap,
// and a few keyboard shortcuts. Pages work without this file.
(function () {
  function renderMath(root) {
    if (!window.renderMathInElement) return;
    window.renderMathInElement(root, {
      delimiters: [
        { left: "\\[", right: "\\]", display: true },
        { left: "\\(", right: "\\)", display: false },
      ],
      throwOnError: false,
      ignoredClasses: ["highlight"],
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    renderMath(document.body);
  });
  // after an outerHTML swap the event's target is the old, detached element: render the page
  document.addEventListener("htmx:afterSettle", function () {
    renderMath(document.body);
  });
  // A grade arrived: pre-select the rating it suggests (the user can still pick another).
  document.addEventListener("htmx:afterSettle", function () {
    var grade = document.querySelector(".grade[data-suggested]");
    if (!grade) return;
    var button = document.querySelector('.ratings button[data-key="' + grade.dataset.suggested + '"]');
    if (button && !button.classList.contains("suggested")) {
      document.querySelectorAll(".ratings button.suggested").forEach(function (b) { b.classList.remove("suggested"); });
      button.classList.add("suggested");
      button.focus();
    }
  });

  // After Back/Forward the URL is the truth: htmx's history snapshot (and the browser's form
  // restore) can leave a filter or search form showing the values of another history entry.
  function syncFormsWithUrl() {
    var params = new URLSearchParams(window.location.search);
    document.querySelectorAll("form[hx-push-url]").forEach(function (form) {
      Array.prototype.forEach.call(form.elements, function (field) {
        if (!field.name || field.type === "hidden" || field.type === "submit") return;
        var wanted = params.get(field.name) || "";
        if (field.value === wanted) return;
        field.value = wanted;
        if (field.tagName === "SELECT" && field.value !== wanted) field.selectedIndex = 0;
      });
    });
  }
  document.addEventListener("htmx:historyRestore", syncFormsWithUrl);
  window.addEventListener("pageshow", function (event) {
    var nav = window.performance && performance.getEntriesByType && performance.getEntriesByType("navigation")[0];
    if (event.persisted || (nav && nav.type === "back_forward")) syncFormsWithUrl();
  });

  // A refused htmx request (4xx/5xx) shows the server's message instead of failing silently.
  document.addEventListener("htmx:responseError", function (event) {
    var flash = document.getElementById("flash");
    if (!flash) return;
    var text = event.detail.xhr.responseText || "";
    flash.textContent = text.length < 500 && text.indexOf("<") < 0 ? text : "请求失败（" + event.detail.xhr.status + "）";
    flash.className = "notice";
  });
  document.addEventListener("htmx:beforeRequest", function () {
    var flash = document.getElementById("flash");
    if (flash) { flash.textContent = ""; flash.className = ""; }
  });

  // Practice: remember when a card was shown, send how long it took with each answer/rating.
  function markShown(root) {
    var face = (root || document).querySelector(".card-face");
    if (face) face.dataset.shownAt = String(Date.now());
  }
  document.addEventListener("DOMContentLoaded", function () { markShown(document); });
  document.addEventListener("htmx:afterSwap", function (event) {
    // a history restore swaps without a target in its detail: fall back to the swapped element
    var target = (event.detail && event.detail.target) || event.target;
    if (target && target.closest && (target.closest("#card") || target.querySelector("#card"))) markShown(document);
  });
  document.addEventListener("submit", function (event) {
    var face = document.querySelector(".card-face");
    if (!face || !face.dataset.shownAt) return;
    event.target.querySelectorAll("input.duration").forEach(function (input) {
      input.value = String(Date.now() - Number(face.dataset.shownAt));
    });
  }, true);

  // Typed answers: count the characters pasted into the box (the grader does not credit a
  // pasted copy of the reference answer as recall).
  document.addEventListener("paste", function (event) {
    var box = event.target;
    if (!box || box.id !== "answer-text" || !box.form) return;
    var counter = box.form.querySelector("input.pasted");
    var text = (event.clipboardData || window.clipboardData).getData("text") || "";
    if (counter) counter.value = String(Number(counter.value || 0) + text.length);
  }, true);

  function studyKey(event) {
    var card = document.getElementById("card");
    if (!card) return false;
    // a key can arrive between a swap and htmx's processing of the new card: process it now
    if (window.htmx) window.htmx.process(card);
    var tag = (event.target.tagName || "").toLowerCase();
    var typing = tag === "textarea" || (tag === "input" && event.target.type === "text");
    if (typing) {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        event.target.form.requestSubmit();
        return true;
      }
      if (event.key === "Enter" && tag === "input") return false;
      return false;
    }
    if (event.ctrlKey || event.metaKey || event.altKey) return false;
    var click = function (el) { if (el) { event.preventDefault(); el.click(); return true; } return false; };
    if (event.key === " ") return click(card.querySelector(".reveal-button, .load-current"));
    if ("1234".indexOf(event.key) >= 0 && event.key.length === 1) {
      var rate = card.querySelector('.ratings button[data-key="' + event.key + '"]');
      if (rate) return click(rate);
      return click(card.querySelector('.options input[data-key="' + event.key + '"]'));
    }
    if (event.key === "Enter") return click(card.querySelector(".answer-form button[type=submit]"));
    if (event.key === "u" || event.key === "U") return click(card.querySelector(".undo"));
    if (event.key === "e" || event.key === "E") {
      var box = card.querySelector(".typed-input");
      if (box) { event.preventDefault(); box.focus(); return true; }
      return click(card.querySelector(".to-typed"));
    }
    return false;
  }

  document.addEventListener("keydown", function (event) {
    if (studyKey(event)) return;
    var tag = (event.target.tagName || "").toLowerCase();
    if (tag === "input" || tag === "textarea" || tag === "select" || event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.key === "/") {
      var box = document.getElementById("id_q") || document.getElementById("topsearch");
      if (box) { event.preventDefault(); box.focus(); }
    } else if (event.key === " " && tag !== "summary" && tag !== "button" && tag !== "a") {
      var reveal = document.querySelector("details.reveal");
      if (reveal) { event.preventDefault(); reveal.open = !reveal.open; }
    }
  });

  // Mock interview: the countdowns only display what the server decided (it records the limits
  // and marks a late answer); at zero the page says time is up and the answer can still be sent.
  // Ctrl+Enter submits. The answer box is also kept in this browser (localStorage) until the
  // turn is answered, so text typed while the connection is down survives a reload.
  var ticking = null;
  function startInterviewClocks() {
    if (ticking) { clearInterval(ticking); ticking = null; }
    var turn = document.getElementById("turn");
    if (!turn) return;
    var face = turn.querySelector(".card-face");
    if (face) face.dataset.shownAt = String(Date.now());
    var started = Date.now();
    var timers = turn.querySelectorAll("[data-seconds]");
    restoreLocal(turn);
    function show(el, left) {
      var out = el.querySelector(".countdown-text, .clock-text");
      if (out) out.textContent = Math.floor(left / 60) + ":" + String(left % 60).padStart(2, "0");
      el.classList.toggle("urgent", left <= 30);
    }
    function tick() {
      if (!document.body.contains(turn)) { clearInterval(ticking); ticking = null; return; }
      var gone = Math.floor((Date.now() - started) / 1000);
      timers.forEach(function (el) {
        var left = Math.max(0, Number(el.dataset.seconds) - gone);
        show(el, left);
        if (el.classList.contains("countdown")) {
          var up = el.querySelector(".time-up"), label = el.querySelector(".time-left");
          if (up) up.hidden = left > 0;
          if (label) label.hidden = left === 0;
        } else {
          var over = el.querySelector(".clock-up");
          if (over) over.hidden = left > 0;
        }
      });
    }
    tick();
    ticking = setInterval(tick, 1000);
  }
  function localKey(box) { return box && box.dataset.localKey; }
  function restoreLocal(turn) {
    // drop copies of turns this page no longer asks (answered elsewhere, or long ago)
    var box = turn.querySelector("#answer-text");
    var key = localKey(box);
    try {
      Object.keys(window.localStorage).forEach(function (k) {
        if (k.indexOf("qb-interview-") === 0 && k !== key) window.localStorage.removeItem(k);
      });
      var saved = key && window.localStorage.getItem(key);
      if (box && saved && box.value.trim() === "") box.value = saved;
    } catch (e) { /* storage disabled: the server's draft still works */ }
    countChars(box);
  }
  // The answer boxes have no maxlength (a browser cuts a longer paste silently): the count shows
  // from 80 % of the limit and says plainly when the text is over it; the server refuses it then.
  function countChars(box) {
    if (!box || !box.form) return;
    var out = box.form.querySelector(".char-count");
    var max = Number(box.dataset.maxlength || 0);
    if (!out || !max) return;
    var n = box.value.length, over = n - max;
    var en = document.documentElement.lang === "en";
    out.textContent = over > 0
      ? (en ? n + " / " + max + ": " + over + " characters over the limit; shorten it, or it will not be accepted."
            : n + " / " + max + "：超出 " + over + " 字，提交会被拒绝，请先删减。")
      : (n > 0.8 * max ? n + " / " + max : "");
    out.classList.toggle("over", over > 0);
  }
  document.addEventListener("input", function (event) {
    var box = event.target;
    if (!box || box.id !== "answer-text") return;
    countChars(box);
    if (!localKey(box)) return;
    try { window.localStorage.setItem(localKey(box), box.value); } catch (e) { /* full or disabled */ }
  });
  // A draft refused because the turn was answered elsewhere (another tab): say so at once,
  // not only at the submit.
  document.addEventListener("htmx:afterRequest", function (event) {
    var xhr = event.detail && event.detail.xhr;
    var path = event.detail && event.detail.pathInfo && event.detail.pathInfo.requestPath;
    if (!xhr || xhr.status !== 409 || !path || path.indexOf("/draft/") < 0) return;
    if (!event.detail.elt || !event.detail.elt.isConnected) return;  // this page moved on already
    var flash = document.getElementById("flash");
    if (flash) { flash.textContent = xhr.responseText; flash.className = "notice"; }
  });
  // A request that never reached the server (offline): say so; the text stays in the box.
  document.addEventListener("htmx:sendError", function () {
    var flash = document.getElementById("flash");
    if (!flash) return;
    flash.textContent = document.documentElement.lang === "en"
      ? "No connection: nothing was sent. Your text is kept in this browser; send it again when you are back online."
      : "网络连接失败，这次没有提交。写的内容保存在本机，恢复联网后再点提交。";
    flash.className = "notice";
  });
  // Confirm before a step that cannot be undone (data-confirm on a form or a submit button;
  // data-confirm-empty on a submit button: only when the answer box is empty).
  document.addEventListener("submit", function (event) {
    var source = (event.submitter && event.submitter.dataset.confirm) ? event.submitter : event.target;
    var question = source && source.dataset ? source.dataset.confirm : "";
    var box = event.target.querySelector && event.target.querySelector("#answer-text");
    if (!question && event.submitter && event.submitter.dataset.confirmEmpty && box && !box.value.trim()) {
      question = event.submitter.dataset.confirmEmpty;
    }
    if (question && !window.confirm(question)) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);
  document.addEventListener("DOMContentLoaded", function () {
    if (!document.getElementById("report")) return;
    try {  // the interview is over: no copy of its answers stays in this browser
      Object.keys(window.localStorage).forEach(function (k) {
        if (k.indexOf("qb-interview-") === 0) window.localStorage.removeItem(k);
      });
    } catch (e) { /* storage disabled */ }
  });
  document.addEventListener("DOMContentLoaded", startInterviewClocks);
  document.addEventListener("htmx:afterSettle", startInterviewClocks);
  document.addEventListener("keydown", function (event) {
    var box = event.target;
    if (!box || box.id !== "answer-text" || !box.closest("#turn")) return;
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      event.stopPropagation();
      var button = box.form.querySelector('button[value="answer"]');
      box.form.requestSubmit(button);
    }
  }, true);
  document.addEventListener("click", function (event) {
    if (event.target.closest && event.target.closest(".print-button")) window.print();
  });
  window.addEventListener("beforeprint", function () {
    document.querySelectorAll(".report details").forEach(function (d) { d.open = true; });
  });
})();
