// "Insert image" beside each Markdown field of an article's change form: a dialog that
// finds library images by words, with a size, an alignment and the alt text for this use,
// and puts the reference (![alt](image:42 "medium right")) at the cursor. A native <dialog>:
// it keeps keyboard focus inside while open, Escape closes it, and focus goes back to the
// field. Without script the fields' help text explains the reference and links the library.
(function () {
  "use strict";

  const dialog = document.getElementById("image-picker");
  if (!dialog || typeof dialog.showModal !== "function") return;

  const MARKDOWN_FIELDS = [
    "body", "when_to_get_medical_help", "urgent_help", "emergency_help", "intro",
  ];
  const search = dialog.querySelector("#image-picker-search");
  const results = dialog.querySelector("#image-picker-results");
  const status = dialog.querySelector("#image-picker-status");
  const alt = dialog.querySelector("#image-picker-alt");
  const size = dialog.querySelector("#image-picker-size");
  const alignment = dialog.querySelector("#image-picker-alignment");
  const insert = dialog.querySelector("#image-picker-insert");
  let field = null; // the textarea the reference goes into
  let selection = [0, 0];
  let searching = null;

  function isMarkdownField(element) {
    return element.tagName === "TEXTAREA" && (
      MARKDOWN_FIELDS.includes(element.name) || /^items-\d+-answer$/.test(element.name)
    );
  }

  function addButton(textarea) {
    if (textarea.dataset.imagePicker) return;
    textarea.dataset.imagePicker = "on";
    const button = document.createElement("button");
    button.type = "button";
    button.className = "button image-picker-open";
    button.textContent = "Insert image";
    const label = textarea.id && document.querySelector(`label[for="${textarea.id}"]`);
    button.setAttribute("aria-label", `Insert image into ${label ? label.textContent.replace(/:$/, "") : "this field"}`);
    button.addEventListener("click", () => open(textarea));
    textarea.insertAdjacentElement("afterend", button);
  }

  function open(textarea) {
    field = textarea;
    selection = [textarea.selectionStart, textarea.selectionEnd];
    dialog.showModal();
    search.focus();
    find();
  }

  function find() {
    clearTimeout(searching);
    searching = setTimeout(async () => {
      status.textContent = "Looking…";
      const url = `${dialog.dataset.url}?q=${encodeURIComponent(search.value)}`;
      try {
        const response = await fetch(url, { credentials: "same-origin" });
        if (!response.ok) throw new Error(response.status);
        show(await response.json());
      } catch (error) {
        status.textContent = "The library could not be reached. Type the reference instead (see the field's help).";
      }
    }, 200);
  }

  function show(data) {
    results.replaceChildren();
    for (const image of data.images) {
      const item = document.createElement("li");
      const label = document.createElement("label");
      const radio = document.createElement("input");
      radio.type = "radio";
      radio.name = "image-picker-choice";
      radio.value = image.id;
      radio.dataset.alt = image.decorative ? "" : image.alt;
      radio.addEventListener("change", () => {
        alt.value = radio.dataset.alt;
        insert.disabled = false;
      });
      const thumbnail = document.createElement("img");
      thumbnail.src = image.thumbnail;
      thumbnail.alt = "";
      thumbnail.width = 80;
      thumbnail.height = Math.round((80 * image.height) / image.width) || 80;
      const words = document.createElement("span");
      words.textContent = `${image.decorative ? "(decorative) " : ""}${image.alt || image.name} · image ${image.id}`;
      label.append(radio, thumbnail, words);
      item.append(label);
      results.append(item);
    }
    const count = data.images.length;
    status.textContent = count
      ? `${count} image${count === 1 ? "" : "s"}${data.more ? " (the newest; type words to find others)" : ""}. Choose one with the arrow keys.`
      : "No image matches those words.";
    insert.disabled = !results.querySelector("input:checked");
  }

  function reference() {
    const chosen = results.querySelector("input:checked");
    // "]" would end the alt text, a line break the reference.
    const words = alt.value.replace(/[\]\r\n]+/g, " ").trim();
    return `![${words}](image:${chosen.value} "${size.value} ${alignment.value}")`;
  }

  function insertReference() {
    const text = reference();
    const [start, end] = selection;
    const before = field.value.slice(0, start);
    const after = field.value.slice(end);
    // An image stands in a paragraph of its own: blank lines around it.
    const opening = before === "" || before.endsWith("\n\n") ? "" : before.endsWith("\n") ? "\n" : "\n\n";
    const closing = after === "" || after.startsWith("\n\n") ? "" : after.startsWith("\n") ? "\n" : "\n\n";
    field.setRangeText(opening + text + closing, start, end, "end");
    field.dispatchEvent(new Event("input", { bubbles: true }));
  }

  search.addEventListener("input", find);
  search.addEventListener("keydown", (event) => {
    if (event.key === "Enter") event.preventDefault(); // not the article form's submit
  });
  insert.addEventListener("click", () => {
    insertReference();
    dialog.close();
  });
  dialog.querySelector("#image-picker-cancel").addEventListener("click", () => dialog.close());
  dialog.addEventListener("close", () => {
    if (field) field.focus();
  });

  document.querySelectorAll("textarea").forEach((textarea) => {
    if (isMarkdownField(textarea)) addButton(textarea);
  });
  // A question added with "Add another question" gets its button too.
  document.addEventListener("formset:added", (event) => {
    event.target.querySelectorAll("textarea").forEach((textarea) => {
      if (isMarkdownField(textarea)) addButton(textarea);
    });
  });
})();
