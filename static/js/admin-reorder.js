// Reordering the rows of an article's inlines that have a position field (FAQ questions,
// sources, other names): drag a row by its handle, or move it with its "up" and "down" buttons
// from the keyboard; a live region says where it went. The position numbers stay the form's
// truth: they are hidden and rewritten (1, 2, 3…) in the order shown, so the server saves what
// the editor sees. Without this script the numbers are shown and typed instead.
//
// The rows keep their form index (their field names) when they move: Django's inlines.js
// renumbers rows by their place on the page when a new row is removed, so the rows are put
// back in index order just before that, and in position order again just after.
"use strict";
(function () {
    const ROW = "tr.form-row, div.inline-related";

    function prefixOf(group) {
        return group.id.replace(/-group$/, "");
    }

    function rowsOf(group) {
        const pattern = new RegExp("^" + prefixOf(group) + "-\\d+$");
        return Array.from(group.querySelectorAll(ROW)).filter((row) => pattern.test(row.id));
    }

    function positionInput(row) {
        return row.querySelector('input[name$="-position"]');
    }

    function indexOf(row) {
        return Number(row.id.slice(row.id.lastIndexOf("-") + 1));
    }

    // A row that will be saved: an existing one, or a new one the editor has typed into.
    function isFilled(row) {
        if (row.classList.contains("has_original")) {
            return true;
        }
        return Array.from(row.querySelectorAll("input[type=text], input[type=url], textarea"))
            .some((field) => field !== positionInput(row) && field.value.trim() !== "");
    }

    function labelOf(row, number) {
        const field = row.querySelector(
            '[name$="-question"], [name$="-title"], input[name$="-name"]'
        );
        const words = field && field.value.trim();
        if (words) {
            return "“" + (words.length > 60 ? words.slice(0, 57) + "…" : words) + "”";
        }
        return "Row " + number;
    }

    // Rows in the order shown, each numbered; the positions written when the order changed.
    function refresh(group, writePositions) {
        const rows = rowsOf(group);
        let position = 0;
        rows.forEach((row, place) => {
            const input = positionInput(row);
            if (writePositions && input) {
                input.value = isFilled(row) ? String(++position) : "";
            }
            const label = labelOf(row, place + 1);
            const number = row.querySelector(".faq-question__number");
            if (number) {
                number.textContent = place + 1 + ".";
            }
            const up = row.querySelector("[data-move='-1']");
            const down = row.querySelector("[data-move='1']");
            if (up) {
                up.setAttribute("aria-label", "Move " + label + " up");
                up.setAttribute("aria-disabled", String(place === 0));
                down.setAttribute("aria-label", "Move " + label + " down");
                down.setAttribute("aria-disabled", String(place === rows.length - 1));
            }
        });
    }

    function announce(group, row) {
        // Counted among the rows that will be saved, not the empty one offered for a new row.
        const rows = rowsOf(group).filter((other) => other === row || isFilled(other));
        const place = rows.indexOf(row) + 1;
        group.querySelector(".visually-hidden-status").textContent =
            labelOf(row, place) + " moved to place " + place + " of " + rows.length + ".";
    }

    // Put the rows back on the page in the order `key` gives, before the "add another" parts.
    function arrange(group, key) {
        const rows = rowsOf(group);
        if (!rows.length) {
            return;
        }
        const parent = rows[0].parentNode;
        const after = Array.from(parent.children).find(
            (child) => !rows.includes(child) && child.compareDocumentPosition(rows[0]) &
                Node.DOCUMENT_POSITION_PRECEDING
        ) || null;
        rows.slice().sort((a, b) => key(a) - key(b) || indexOf(a) - indexOf(b))
            .forEach((row) => parent.insertBefore(row, after));
    }

    function byPosition(row) {
        const input = positionInput(row);
        const value = input && input.value.trim();
        return value === "" || value === undefined ? Infinity : Number(value);
    }

    function move(group, row, step) {
        const rows = rowsOf(group);
        const place = rows.indexOf(row);
        const target = rows[place + step];
        if (!target) {
            announce(group, row);
            return;
        }
        target.parentNode.insertBefore(row, step < 0 ? target : target.nextSibling);
        refresh(group, true);
        announce(group, row);
    }

    function button(text, move, title) {
        const element = document.createElement("button");
        element.type = "button";
        element.textContent = text;
        element.title = title;
        if (move) {
            element.dataset.move = move;
        }
        return element;
    }

    function addControls(group, row) {
        const input = positionInput(row);
        if (!input || row.querySelector(".reorder-controls")) {
            return;
        }
        row.classList.add("reorderable-row");
        const controls = document.createElement("div");
        controls.className = "reorder-controls";
        const handle = document.createElement("span");
        handle.className = "reorder-handle";
        handle.textContent = "⠿";
        handle.title = "Drag to move";
        handle.setAttribute("aria-hidden", "true");
        controls.append(handle, button("↑", "-1", "Move up"), button("↓", "1", "Move down"));
        const cell = input.closest("td");
        if (cell) {
            cell.append(controls);
        } else {
            row.prepend(controls);
        }
    }

    function startDrag(group, row, event) {
        event.preventDefault();
        row.classList.add("is-dragged");
        const follow = (moveEvent) => {
            const others = rowsOf(group).filter((other) => other !== row);
            const below = others.find((other) => {
                const box = other.getBoundingClientRect();
                return moveEvent.clientY < box.top + box.height / 2;
            });
            const last = others[others.length - 1];
            if (below) {
                below.parentNode.insertBefore(row, below);
            } else if (last) {
                last.parentNode.insertBefore(row, last.nextSibling);
            }
        };
        const drop = () => {
            document.removeEventListener("pointermove", follow);
            document.removeEventListener("pointerup", drop);
            row.classList.remove("is-dragged");
            refresh(group, true);
            announce(group, row);
        };
        document.addEventListener("pointermove", follow);
        document.addEventListener("pointerup", drop);
    }

    function setUp(group) {
        if (!rowsOf(group).some(positionInput)) {
            return; // read-only (a live article), or no positions to keep
        }
        group.classList.add("reorderable");
        const status = document.createElement("p");
        status.className = "visually-hidden-status";
        status.setAttribute("role", "status");
        group.append(status);
        rowsOf(group).forEach((row) => addControls(group, row));
        arrange(group, byPosition);
        refresh(group, false);

        group.addEventListener("click", (event) => {
            const control = event.target.closest("[data-move]");
            if (control) {
                const row = control.closest(ROW);
                move(group, row, Number(control.dataset.move));
                control.focus();
            }
            if (event.target.closest(".inline-deletelink")) {
                arrange(group, indexOf); // inlines.js renumbers the rows by their place
            }
        }, true);
        group.addEventListener("pointerdown", (event) => {
            const handle = event.target.closest(".reorder-handle");
            if (handle && event.button === 0) {
                startDrag(group, handle.closest(ROW), event);
            }
        });
        group.addEventListener("input", (event) => {
            const row = event.target.closest(ROW);
            const summary = row && row.querySelector(".faq-question__text");
            if (summary && event.target.name && event.target.name.endsWith("-question")) {
                summary.textContent = event.target.value.trim() || "New question";
            }
            refresh(group, false);
        });
    }

    document.addEventListener("DOMContentLoaded", () => {
        const groups = Array.from(document.querySelectorAll(".js-inline-admin-formset"));
        groups.forEach(setUp);
        document.addEventListener("formset:added", (event) => {
            const group = event.target.closest(".js-inline-admin-formset");
            if (group && group.classList.contains("reorderable")) {
                addControls(group, event.target);
                refresh(group, false);
            }
        });
        document.addEventListener("formset:removed", () => {
            groups.filter((group) => group.classList.contains("reorderable")).forEach((group) => {
                arrange(group, byPosition);
                refresh(group, false);
            });
        });
    });
})();
