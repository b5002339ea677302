// Who else is editing this article (conditions/editing_presence.py): asks the server every
// few seconds, which also tells it this page is still open, and keeps the notice up to date.
// When a medical reviewer takes the edit over, this page says so, keeps the form's text in the
// browser (admin-keep-typing.js) and stops saving. When the sign-in has expired, it says so
// before the editor presses Save. Without script the notice shows who was editing when the
// page was opened.
(function () {
  "use strict";

  var box = document.getElementById("editing-presence");
  if (!box) { return; }
  var list = box.querySelector("[data-others]");
  var announce = document.getElementById("presence-announce");
  var takenOverNotice = document.getElementById("taken-over-notice");
  var seconds = Math.max(1, Number(box.dataset.pollSeconds) || 20);
  var mayTakeOver = box.dataset.mayTakeOver === "yes";
  var csrf = "";
  var known = {};
  var stopped = false;

  function takeOverForm(editor) {
    var form = document.createElement("form");
    form.method = "post";
    form.action = box.dataset.takeOverUrl;
    form.className = "take-over";
    [["csrfmiddlewaretoken", csrf], ["user", String(editor.id)]].forEach(function (pair) {
      var input = document.createElement("input");
      input.type = "hidden";
      input.name = pair[0];
      input.value = pair[1];
      form.appendChild(input);
    });
    var button = document.createElement("button");
    button.type = "submit";
    button.className = "button";
    button.textContent = "Take over from " + editor.name;
    form.appendChild(button);
    return form;
  }

  var shown = null;

  function show(others) {
    // Rebuilt only when someone came or went, so a Take over button keeps the focus.
    var state = JSON.stringify(others) + (csrf ? "+" : "");
    if (state === shown) { return; }
    shown = state;
    var now = {};
    list.textContent = "";
    others.forEach(function (editor) {
      now[editor.id] = editor.name;
      var item = document.createElement("li");
      var words = document.createElement("span");
      words.setAttribute("data-editor", "");
      words.textContent = editor.name + " is editing since " + editor.since;
      item.appendChild(words);
      if (mayTakeOver && csrf) { item.appendChild(takeOverForm(editor)); }
      list.appendChild(item);
    });
    box.hidden = others.length === 0;
    // Said once, when someone opens or leaves the article, not at every poll.
    var changes = [];
    Object.keys(now).forEach(function (id) {
      if (!(id in known)) { changes.push(now[id] + " opened this article."); }
    });
    Object.keys(known).forEach(function (id) {
      if (!(id in now)) { changes.push(known[id] + " is no longer editing it."); }
    });
    if (changes.length) { announce.textContent = changes.join(" "); }
    known = now;
  }

  function takenOver(by, at) {
    stopped = true;
    document.dispatchEvent(new CustomEvent("neckinfo:keep-now"));
    takenOverNotice.textContent = by + " took this edit over at " + at + ". Saving here is " +
      "switched off; what you typed is kept in this browser. Open the article again to see " +
      "the latest version and get your text back.";
    takenOverNotice.hidden = false;
    document.querySelectorAll("#content-main form[id$='_form'] .submit-row input[type=submit]")
      .forEach(function (button) {
        if (button.name !== "_preview") { button.disabled = true; }
      });
  }

  function poll() {
    if (stopped) { return; }
    fetch(box.dataset.pollUrl, {
      credentials: "same-origin",
      cache: "no-store",
      headers: { Accept: "application/json" },
    }).then(function (response) {
      if (response.status === 401 || response.status === 403) {
        document.dispatchEvent(new CustomEvent("neckinfo:signed-out"));
        return null;
      }
      return response.ok ? response.json() : null;
    }).then(function (answer) {
      if (!answer) { return; }
      document.dispatchEvent(new CustomEvent("neckinfo:signed-in", { detail: answer }));
      csrf = answer.csrf_token || csrf;
      if (answer.taken_over) {
        takenOver(answer.taken_over.by, answer.taken_over.at);
        return;
      }
      show(answer.others || []);
    }).catch(function () {
      // Offline for a moment: the next poll tries again.
    }).then(function () {
      if (!stopped) { window.setTimeout(poll, seconds * 1000); }
    });
  }

  // Taking over with script: posted in place, and the notice updated at once.
  list.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.classList.contains("take-over")) { return; }
    event.preventDefault();
    fetch(form.action, {
      method: "POST",
      credentials: "same-origin",
      headers: { Accept: "application/json" },
      body: new URLSearchParams(new FormData(form)),
    }).then(function (response) {
      return response.ok ? response.json() : { taken_over: false };
    }).then(function (answer) {
      announce.textContent = answer.taken_over
        ? "You have taken the edit over."
        : "They are no longer editing it.";
      var item = form.closest("li");
      if (item) { item.remove(); }
      box.hidden = list.children.length === 0;
    });
  });

  // What the server showed, as a poll would: the first poll then changes nothing on the page
  // unless someone came or went.
  var opened = [];
  list.querySelectorAll("[data-editor-id]").forEach(function (item) {
    known[item.dataset.editorId] = item.dataset.editorName;
    opened.push({
      id: Number(item.dataset.editorId),
      name: item.dataset.editorName,
      since: item.dataset.editorSince,
    });
  });
  var token = list.querySelector("input[name=csrfmiddlewaretoken]");
  csrf = token ? token.value : "";
  shown = JSON.stringify(opened) + (csrf ? "+" : "");
  window.setTimeout(poll, seconds * 1000);
})();
