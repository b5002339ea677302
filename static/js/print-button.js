// "Print this page" needs JavaScript, so the button stays hidden until this script runs.
(function () {
  "use strict";
  document.querySelectorAll("[data-print-button]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { window.print(); });
  });
})();
