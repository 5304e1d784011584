// The append form: sends the command line's options as JSON to /api/append with the
// page's token, then shows the refusal or reloads the page to show the new event.
(function () {
  "use strict";
  var form = document.getElementById("append");
  if (!form) { return; }
  var result = document.getElementById("append-result");
  var kind = document.getElementById("append-kind");
  var token = document.querySelector('meta[name="csrf-token"]').getAttribute("content");

  function showFields() {
    form.querySelectorAll("label[class^='for-'], label[class*=' for-']").forEach(function (label) {
      label.hidden = !label.classList.contains("for-" + kind.value);
    });
  }
  kind.addEventListener("change", showFields);
  showFields();

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var body = { entity: form.dataset.entity };
    form.querySelectorAll("input, select, textarea").forEach(function (field) {
      var label = field.closest("label");
      if (field.value.trim() !== "" && !(label && label.hidden)) {
        body[field.name] = field.value.trim();
      }
    });
    result.textContent = "Recording…";
    result.className = "";
    fetch("/api/append", {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": token },
      body: JSON.stringify(body)
    }).then(function (response) {
      return response.json().then(function (data) { return { ok: response.ok, data: data }; });
    }).then(function (answer) {
      if (answer.ok) {
        result.textContent = "Recorded " + answer.data.recorded[0].event_id.slice(0, 8) + ".";
        window.location.reload();
      } else {
        result.textContent = "Refused: " + answer.data.error;
        result.className = "refusal";
      }
    }).catch(function (error) {
      result.textContent = "Refused: " + error;
      result.className = "refusal";
    });
  });
}());
