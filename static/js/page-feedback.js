// "Is this page useful?" in place: the same forms, posted with fetch (conditions/feedback.py
// answers JSON when asked), so the reader stays on the page. Without this script the forms
// post as they are and the answer is a page of its own.
(function () {
  "use strict";

  var NOT_SENT = "Sorry, that wasn't sent. Please try again later.";

  // The server's answer, or an Error whose message can be shown to the reader as it is.
  function post(form, fields) {
    return fetch(form.action, {
      method: "POST",
      headers: { Accept: "application/json" },
      body: new URLSearchParams(fields),
      credentials: "omit",
    }).catch(function () {
      throw new Error(NOT_SENT);  // offline, or the connection dropped
    }).then(function (response) {
      // Django's own 400 and 404 pages are HTML: no message of ours to show.
      return response.json().catch(function () { return {}; }).then(function (answer) {
        if (!response.ok) { throw new Error(answer.error || NOT_SENT); }
        return answer;
      });
    });
  }

  document.querySelectorAll("[data-page-feedback]").forEach(function (box) {
    var answerForm = box.querySelector("[data-page-feedback-answer]");
    var status = box.querySelector("[data-page-feedback-status]");
    var template = box.querySelector("template[data-page-feedback-comment]");
    var sending = false;

    function say(message) { status.textContent = message; }

    answerForm.addEventListener("submit", function (event) {
      var button = event.submitter;
      if (!button || !window.fetch) { return; }  // post the plain form instead
      event.preventDefault();
      if (sending) { return; }
      sending = true;
      say("Sending…");
      post(answerForm, { useful: button.value }).then(function (answer) {
        say("");
        var step = template.content.cloneNode(true);
        step.querySelector("input[name=token]").value = answer.token;
        answerForm.replaceWith(step);
        var thanks = box.querySelector(".page-feedback__thanks");
        thanks.focus();
        listenForComment(box.querySelector("[data-page-feedback-comment-form]"));
      }).catch(function (error) {
        say(error.message);
      }).then(function () { sending = false; });
    });

    function listenForComment(form) {
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        if (sending) { return; }
        sending = true;
        say("Sending…");
        var fields = { token: form.elements.token.value, comment: form.elements.comment.value };
        post(form, fields).then(function () {
          var thanks = document.createElement("p");
          thanks.className = "page-feedback__thanks";
          thanks.tabIndex = -1;
          thanks.textContent = fields.comment.trim()
            ? "Thank you. Editors read every comment when they next update this page."
            : "Thank you.";
          box.querySelector(".page-feedback__thanks").remove();
          form.replaceWith(thanks);
          say("");
          thanks.focus();
        }).catch(function (error) {
          say(error.message);  // what was typed stays in the box
        }).then(function () { sending = false; });
      });
    }
  });
})();
