// Nothing typed is lost (conditions/admin/editing.py). On an article's or a symptom's form,
// what the editor types is kept in this browser (localStorage, per user and form address, with
// the version of the article the form was opened on) and offered back when the form is opened
// again after a crash, a closed tab or an expired sign-in. Before a save is posted, the page
// asks whether its sign-in still holds: if not, the form stays as it is and the editor signs
// in again in another tab. On every admin page: the page after a successful save forgets the
// copy (the server names the saved form in a cookie).
(function () {
  "use strict";

  var PREFIX = "neckinfo:unsaved:";
  var SAVED_COOKIE = "neckinfo_saved_form";
  var DEBOUNCE_MS = 800;
  // Not the editor's writing: the CSRF token changes with every sign-in, and the version is
  // kept beside the fields.
  var NOT_KEPT = { csrfmiddlewaretoken: true, loaded_version: true };

  function storage() {
    try {
      return window.localStorage;
    } catch (error) {
      return null; // storage switched off: the form works as before
    }
  }

  function read(key) {
    var store = storage();
    if (!store) { return null; }
    try {
      return JSON.parse(store.getItem(key) || "null");
    } catch (error) {
      return null;
    }
  }

  function write(key, value) {
    var store = storage();
    if (!store) { return; }
    try {
      if (value === null) {
        store.removeItem(key);
      } else {
        store.setItem(key, JSON.stringify(value));
      }
    } catch (error) {
      // Full: the form still works, and the server keeps refused saves' text.
    }
  }

  function forgetSavedForm() {
    var match = document.cookie.match(new RegExp("(?:^|; )" + SAVED_COOKIE + "=([^;]*)"));
    if (!match) { return; }
    var saved = decodeURIComponent(match[1]).replace(/^"|"$/g, "");
    write(PREFIX + saved, null);
    write(PREFIX + saved + ":offered", null);
    document.cookie = SAVED_COOKIE + "=; Max-Age=0; path=/";
  }

  // Copies nobody came back for are not kept for ever on a shared computer.
  var KEPT_DAYS = 30;
  function forgetOldCopies() {
    var store = storage();
    if (!store) { return; }
    var oldest = Date.now() - KEPT_DAYS * 24 * 3600 * 1000;
    Object.keys(store).forEach(function (name) {
      if (name.indexOf(PREFIX) !== 0) { return; }
      var kept = read(name);
      if (!kept || !(kept.savedAt > oldest)) { write(name, null); }
    });
  }

  forgetSavedForm();
  forgetOldCopies();

  var config = document.getElementById("keep-typing");
  var form = config && document.querySelector("#content-main form[id$='_form'][method='post']");
  if (!form) { return; }

  var key = PREFIX + config.dataset.user + ":" + window.location.pathname;
  var offeredKey = key + ":offered";
  var announce = document.getElementById("keep-typing-announce");

  function isKept(element) {
    return element.name && !NOT_KEPT[element.name] && element.name.indexOf("__prefix__") === -1 &&
      ["submit", "button", "reset", "file", "image"].indexOf(element.type) === -1;
  }

  function fieldsOf() {
    var fields = [];
    Array.prototype.forEach.call(form.elements, function (element) {
      if (!isKept(element)) { return; }
      if (element.type === "checkbox" || element.type === "radio") {
        fields.push({ name: element.name, value: element.value, checked: element.checked });
      } else if (element.tagName === "SELECT") {
        fields.push({
          name: element.name,
          options: Array.prototype.filter.call(element.options, function (option) {
            return option.selected;
          }).map(function (option) {
            return { value: option.value, text: option.text };
          }),
        });
      } else {
        fields.push({ name: element.name, value: element.value });
      }
    });
    return fields;
  }

  function version() {
    var field = form.elements.namedItem("loaded_version");
    return field ? field.value : "";
  }

  function keepNow() {
    write(key, { savedAt: Date.now(), version: version(), fields: fieldsOf() });
  }

  var timer = null;
  function keepSoon() {
    window.clearTimeout(timer);
    timer = window.setTimeout(keepNow, DEBOUNCE_MS);
  }

  form.addEventListener("input", keepSoon);
  form.addEventListener("change", keepSoon);
  // Typing in the last second before the tab closes is kept too. The symptom box (select2)
  // changes its <select> without an event the form sees, so it is compared here as well.
  var asOpened = JSON.stringify(fieldsOf());
  window.addEventListener("pagehide", function () {
    if (timer !== null || JSON.stringify(fieldsOf()) !== asOpened) { keepNow(); }
  });
  document.addEventListener("neckinfo:keep-now", keepNow);

  // Inline rows the kept copy had beyond those on the page are added as the editor would,
  // with the inline's own "Add another" link.
  function addInlineRows(fields) {
    fields.forEach(function (field) {
      var match = field.name.match(/^(.*)-TOTAL_FORMS$/);
      if (!match) { return; }
      var total = form.elements.namedItem(field.name);
      var add = document.querySelector("#" + CSS.escape(match[1]) + "-group .add-row a");
      var guard = 200;
      while (total && add && Number(total.value) < Number(field.value) && guard--) {
        add.click();
      }
    });
  }

  function restore(kept) {
    addInlineRows(kept.fields);
    var seen = {};
    kept.fields.forEach(function (field) {
      var elements = form.querySelectorAll("[name='" + CSS.escape(field.name) + "']");
      var index = seen[field.name] || 0;
      seen[field.name] = index + 1;
      if ("checked" in field) {
        Array.prototype.forEach.call(elements, function (element) {
          if (element.value === field.value) { element.checked = field.checked; }
        });
        return;
      }
      var element = elements[index] || elements[0];
      if (!element) { return; }
      if (field.options) {
        var wanted = {};
        field.options.forEach(function (option) {
          wanted[option.value] = true;
          var present = Array.prototype.some.call(element.options, function (existing) {
            return existing.value === option.value;
          });
          if (!present) { element.add(new Option(option.text, option.value, true, true)); }
        });
        Array.prototype.forEach.call(element.options, function (option) {
          option.selected = Boolean(wanted[option.value]);
        });
        if (window.django && window.django.jQuery) {
          window.django.jQuery(element).trigger("change"); // the symptom box (select2)
        }
      } else if (element.value !== field.value) {
        element.value = field.value;
      }
    });
    // The version the text was written on: a save is judged against it, so the lost-update
    // guard refuses it (text kept) if someone else saved since.
    var loaded = form.elements.namedItem("loaded_version");
    if (loaded && kept.version) { loaded.value = kept.version; }
    keepNow();
  }

  function sameAsForm(kept) {
    return JSON.stringify(kept.fields) === JSON.stringify(fieldsOf());
  }

  function offer() {
    var fresh = read(key);
    if (fresh) {
      // What the editor typed last time becomes the copy offered; new typing is kept apart,
      // so it is never written over the copy before the editor chose.
      write(offeredKey, fresh);
      write(key, null);
    }
    var kept = read(offeredKey);
    if (!kept || !kept.fields) { return; }
    if (sameAsForm(kept)) {
      // E.g. a refused save: the form came back holding this text. Nothing to offer, but
      // the copy is kept until a save succeeds.
      write(key, kept);
      write(offeredKey, null);
      return;
    }
    var box = document.getElementById("keep-typing-offer");
    if (!box) { return; }
    var time = new Date(kept.savedAt);
    var clock = ("0" + time.getHours()).slice(-2) + ":" + ("0" + time.getMinutes()).slice(-2);
    var sameDay = time.toDateString() === new Date().toDateString();
    box.querySelector("[data-saved-at]").textContent =
      sameDay ? clock : time.toLocaleDateString("en-GB", { day: "numeric", month: "long" }) + ", " + clock;
    var newer = kept.version !== version();
    box.querySelector("[data-newer]").hidden = !newer;
    box.hidden = false;
    announce.textContent = "You have unsaved changes from " + clock +
      (newer ? ", older than the article as saved now" : "") +
      ". Restore or discard them, above the form.";
    function done(message) {
      write(offeredKey, null);
      box.hidden = true;
      announce.textContent = message;
      var first = form.querySelector("input:not([type=hidden]), textarea, select");
      if (first) { first.focus(); }
    }
    box.querySelector("[data-restore]").addEventListener("click", function () {
      restore(kept);
      done("Your changes are back in the form. They are not saved yet.");
    });
    box.querySelector("[data-discard]").addEventListener("click", function () {
      done("Your kept changes were discarded.");
    });
  }

  // Before a save is posted: does the sign-in still hold? If not, the form stays on the page.
  var signedOut = document.getElementById("signed-out-notice");
  var confirmed = false;

  function showSignedOut() {
    keepNow();
    if (signedOut) {
      signedOut.hidden = false;
      signedOut.scrollIntoView({ block: "center" });
    }
  }
  document.addEventListener("neckinfo:signed-out", showSignedOut);
  // Signed in again in another tab: the next poll says so, with the new CSRF token.
  document.addEventListener("neckinfo:signed-in", function (event) {
    if (signedOut) { signedOut.hidden = true; }
    if (event.detail && event.detail.csrf_token) {
      form.querySelectorAll("input[name=csrfmiddlewaretoken]").forEach(function (input) {
        input.value = event.detail.csrf_token;
      });
    }
  });

  function checkSession() {
    return fetch(config.dataset.sessionUrl, {
      credentials: "same-origin",
      cache: "no-store",
      headers: { Accept: "application/json" },
    }).then(function (response) {
      if (response.status === 401 || response.status === 403) { return { signedIn: false }; }
      return response.json().then(function (answer) {
        return { signedIn: true, csrf: answer.csrf_token };
      });
    }).catch(function () {
      return { signedIn: true }; // can't tell (offline?): post as the browser would
    });
  }

  form.addEventListener("submit", function (event) {
    window.clearTimeout(timer);
    keepNow();
    var submitter = event.submitter;
    // Preview opens in a new tab, which only a click may do: it is posted at once.
    if (confirmed || (submitter && submitter.name === "_preview")) { return; }
    event.preventDefault();
    checkSession().then(function (state) {
      if (!state.signedIn) {
        showSignedOut();
        return;
      }
      if (state.csrf) {
        // Signing in again gives a new CSRF token: the form's old one would be refused.
        form.querySelectorAll("input[name=csrfmiddlewaretoken]").forEach(function (input) {
          input.value = state.csrf;
        });
      }
      if (signedOut) { signedOut.hidden = true; }
      confirmed = true;
      if (submitter && form.requestSubmit) {
        form.requestSubmit(submitter);
      } else {
        form.submit();
      }
    });
  });

  offer();
})();
