// The media library's change form: a click on the preview sets the focal point (the two
// number inputs, which work without this script and from the keyboard), and a mark shows it.
(function () {
  "use strict";
  const preview = document.querySelector(".field-preview img");
  const across = document.getElementById("id_focal_x");
  const down = document.getElementById("id_focal_y");
  if (!preview || !across || !down) return;

  const frame = document.createElement("div");
  frame.className = "focal-point";
  preview.parentNode.insertBefore(frame, preview);
  frame.appendChild(preview);
  const mark = document.createElement("span");
  mark.className = "focal-point__mark";
  mark.setAttribute("aria-hidden", "true");
  frame.appendChild(mark);
  const hint = document.createElement("p");
  hint.className = "help";
  hint.textContent = "Click the subject of the picture to set its focal point.";
  frame.after(hint);

  function show() {
    const x = parseFloat(across.value);
    const y = parseFloat(down.value);
    const set = !Number.isNaN(x) && !Number.isNaN(y);
    mark.hidden = !set;
    if (set) {
      mark.style.left = (x * 100) + "%";
      mark.style.top = (y * 100) + "%";
    }
  }

  preview.addEventListener("click", function (event) {
    const box = preview.getBoundingClientRect();
    const clamp = (value) => Math.min(1, Math.max(0, value)).toFixed(2);
    across.value = clamp((event.clientX - box.left) / box.width);
    down.value = clamp((event.clientY - box.top) / box.height);
    show();
  });
  across.addEventListener("input", show);
  down.addEventListener("input", show);
  show();
})();
