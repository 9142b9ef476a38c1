// Page behaviour for chatsvc's server-rendered pages. Loaded from /static because the
// Content-Security-Policy allows no inline script. Everything here is an enhancement: each form
// works without it.
"use strict";

document.addEventListener("submit", function (event) {
  // Destructive forms carry data-confirm="question"; ask before sending.
  var form = event.target;
  if (!(form instanceof HTMLFormElement)) return;
  var question = form.getAttribute("data-confirm");
  if (question && !window.confirm(question)) {
    event.preventDefault();
    return;
  }
  // One submit per click: a double click must not send the form twice.
  if (form.dataset.sent === "1") {
    event.preventDefault();
    return;
  }
  form.dataset.sent = "1";
  window.setTimeout(function () { delete form.dataset.sent; }, 4000);
});

document.addEventListener("toggle", function (event) {
  // Only one row menu open at a time in the users table.
  var opened = event.target;
  if (!(opened instanceof HTMLDetailsElement) || !opened.open || !opened.classList.contains("popover")) return;
  document.querySelectorAll("details.popover[open]").forEach(function (other) {
    if (other !== opened) other.open = false;
  });
}, true);
