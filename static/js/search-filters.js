// Applies the search page's filters as soon as they change. Progressive enhancement: without
// this script the filters apply with the Search button, as a plain form.
//
// The results for the words in the box are fetched and swapped in: the page stays where it
// is and focus stays on the filter, so arrow keys can move through the radio buttons. The
// address is replaced with the results' own, and a live region reads out the new count.
// The results carry the query and filters they were found with (data-query, data-type,
// data-symptom); whenever the page is shown, including by the back button or from the
// back/forward cache, the controls are set to them, so a filter never shows another value
// than the one the results were found with.
(function () {
  "use strict";

  var form = document.querySelector("form[data-search-filters]");
  // No filters are shown after a search that found nothing: nothing to apply.
  if (!form || !form.elements.symptom || !window.fetch || !window.DOMParser) return;
  var announcement = form.querySelector("[data-search-announcement]");
  var latest = 0;

  function results() {
    return document.getElementById(form.dataset.searchFilters);
  }

  function showFiltersOf(area) {
    form.elements.q.value = area.dataset.query;
    form.querySelectorAll("input[name=type]").forEach(function (radio) {
      radio.checked = radio.value === area.dataset.type;
    });
    form.elements.symptom.value = area.dataset.symptom;
  }

  function addressOfForm() {
    // What the Search button would ask for, without the empty fields.
    var kept = new URLSearchParams();
    new FormData(form).forEach(function (value, name) {
      if (value) kept.append(name, value);
    });
    var query = kept.toString();
    return form.action + (query ? "?" + query : "");
  }

  function apply() {
    var address = addressOfForm();
    var request = ++latest;
    results().setAttribute("aria-busy", "true");
    fetch(address, { headers: { Accept: "text/html" } })
      .then(function (response) {
        if (!response.ok) throw new Error(response.status);
        return response.text().then(function (html) { return { response: response, html: html }; });
      })
      .then(function (fetched) {
        if (request !== latest) return;
        var page = new DOMParser().parseFromString(fetched.html, "text/html");
        var found = page.getElementById(form.dataset.searchFilters);
        if (!found) throw new Error("no results on the page");
        results().replaceWith(found);
        // The symptom filter offers the symptoms of the new results.
        var options = page.getElementById(form.elements.symptom.id);
        if (options) form.elements.symptom.innerHTML = options.innerHTML;
        // The query in the box may have changed since: the heading and title follow it.
        document.querySelector("h1").textContent = page.querySelector("h1").textContent;
        document.title = page.title;
        // A filter the server dropped (see search_page) shows as dropped.
        showFiltersOf(found);
        window.history.replaceState(null, "", fetched.response.url);
        var count = found.querySelector("[data-search-count]");
        announcement.textContent = count ? count.textContent.trim() : "";
      })
      .catch(function () {
        // Whatever went wrong, the plain form still gives the right page.
        if (request === latest) window.location.assign(address);
      });
  }

  form.addEventListener("change", function (event) {
    if (event.target.name === "type" || event.target.name === "symptom") apply();
  });

  window.addEventListener("pageshow", function () {
    latest++; // a fetch begun before the page was left must not swap in late
    var area = results();
    if (area) {
      area.removeAttribute("aria-busy");
      showFiltersOf(area);
    }
  });
})();
