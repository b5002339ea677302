// Suggests matching symptoms under a search box as the reader types. Progressive
// enhancement: without this script the search form works exactly the same.
(function () {
  "use strict";

  function debounce(fn, wait) {
    var timer;
    return function () {
      var args = arguments;
      clearTimeout(timer);
      timer = setTimeout(function () { fn.apply(null, args); }, wait);
    };
  }

  function render(box, symptoms) {
    box.textContent = "";
    if (!symptoms.length) {
      box.hidden = true;
      return;
    }
    var heading = document.createElement("p");
    heading.className = "suggestions__heading";
    heading.textContent = "Matching symptoms:";
    var list = document.createElement("ul");
    symptoms.forEach(function (symptom) {
      var item = document.createElement("li");
      var link = document.createElement("a");
      link.href = symptom.url;
      link.textContent = symptom.name + " (" + symptom.articles + " article" +
        (symptom.articles === 1 ? "" : "s") + ")";
      item.appendChild(link);
      list.appendChild(item);
    });
    box.appendChild(heading);
    box.appendChild(list);
    box.hidden = false;
  }

  document.querySelectorAll("input[data-symptom-suggestions]").forEach(function (input) {
    var box = document.createElement("div");
    box.className = "suggestions";
    box.id = input.id + "-suggestions";
    box.hidden = true;
    box.setAttribute("aria-live", "polite");
    input.form.appendChild(box);
    var latest = 0;

    input.addEventListener("input", debounce(function () {
      var typed = input.value.trim();
      var request = ++latest;
      if (typed.length < 2) {
        render(box, []);
        return;
      }
      fetch(input.dataset.symptomSuggestions + "?q=" + encodeURIComponent(typed), {
        headers: { Accept: "application/json" },
      })
        .then(function (response) { return response.ok ? response.json() : { symptoms: [] }; })
        .then(function (data) { if (request === latest) render(box, data.symptoms); })
        .catch(function () { render(box, []); });
    }, 200));

    input.addEventListener("keydown", function (event) {
      if (event.key === "Escape") render(box, []);
    });
  });
})();
