// The knowledge-base editor's live preview: the body is sent to /api/kb/preview as it is typed, and the
// sanitized HTML the server answers (what a visitor would see) replaces the preview. Loaded from /static
// because the Content-Security-Policy allows no inline script; without it the page still shows the preview
// of the saved body.
"use strict";

(function () {
  var body = document.getElementById("kb-body");
  var preview = document.getElementById("kb-preview");
  var status = document.getElementById("kb-preview-status");
  if (!body || !preview || !body.form) return;
  var tokenField = body.form.querySelector('input[name="csrf"]');
  var token = tokenField ? tokenField.value : "";
  var timer = null;
  var latest = 0;

  function show(message) {
    if (status) status.textContent = message;
  }

  function refresh() {
    var mine = ++latest;
    fetch("/api/kb/preview", {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": token },
      body: JSON.stringify({ body: body.value })
    })
      .then(function (response) {
        if (!response.ok) throw new Error("preview refused: " + response.status);
        return response.json();
      })
      .then(function (data) {
        if (mine !== latest) return; // an older answer arriving after a newer one
        preview.innerHTML = data.html; // sanitized by the server: the same HTML visitors are sent
        show("");
      })
      .catch(function () {
        if (mine === latest) show(preview.getAttribute("data-failed") || "");
      });
  }

  body.addEventListener("input", function () {
    window.clearTimeout(timer);
    timer = window.setTimeout(refresh, 250);
  });
})();
