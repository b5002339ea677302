// On a phone, an inline table (sources, other names) is shown as one box per row, each field
// under its column's heading (static/css/admin-editing.css): this copies each heading onto its
// cells. Without script the table scrolls sideways inside its own box instead.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll(".inline-group .tabular table").forEach((table) => {
        const headings = Array.from(table.querySelectorAll("thead th")).map(
            (heading) => heading.textContent.trim()
        );
        table.querySelectorAll("tbody tr.form-row").forEach((row) => {
            Array.from(row.children).forEach((cell, column) => {
                if (headings[column]) {
                    cell.dataset.label = headings[column];
                }
            });
        });
        table.classList.add("has-cell-labels");
    });
});
