// Evidence files: warn about a file that is too big or of a type we refuse before it is
// sent (a 20 MB upload over hospital Wi-Fi takes minutes), and stop a second submission
// while the first is on its way. The server checks everything again; this only saves time.
(function () {
  "use strict";

  function describeSize(bytes) {
    if (bytes >= 1048576) { return (bytes / 1048576).toFixed(1) + " MB"; }
    if (bytes >= 1024) { return Math.floor(bytes / 1024) + " KB"; }
    return bytes + " bytes";
  }

  function problemWith(input) {
    var file = input.files && input.files[0];
    if (!file) { return ""; }
    var limit = parseInt(input.getAttribute("data-max-bytes") || "0", 10);
    if (limit && file.size > limit) {
      return "The file is " + describeSize(file.size) + ": the limit is " +
        input.getAttribute("data-max-size") + ". Choose a smaller file.";
    }
    var accepted = (input.getAttribute("accept") || "").toLowerCase().split(",");
    var dot = file.name.lastIndexOf(".");
    var extension = dot > 0 ? file.name.slice(dot).toLowerCase() : "";
    if (accepted.length && accepted[0] && accepted.indexOf(extension) === -1) {
      return "Files ending " + (extension || "without an extension") + " cannot be used here. Choose a file of a type listed above.";
    }
    return "";
  }

  function show(input, message) {
    var field = input.closest(".field");
    var error = document.getElementById(input.id + "-error");
    if (!field || !error) { return; }
    var text = error.querySelector(".js-file-error");
    if (text) { text.textContent = message; }
    error.hidden = !message;
    field.classList.toggle("field--error", Boolean(message));
    var described = [input.id + "-hint"];
    if (message) { described.push(input.id + "-error"); }
    input.setAttribute("aria-describedby", described.join(" "));
    if (message) { input.setAttribute("aria-invalid", "true"); } else { input.removeAttribute("aria-invalid"); }
  }

  document.querySelectorAll(".js-file-check").forEach(function (input) {
    input.addEventListener("change", function () { show(input, problemWith(input)); });
  });

  document.querySelectorAll(".js-upload-form").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      var bad = null;
      form.querySelectorAll(".js-file-check").forEach(function (input) {
        var message = problemWith(input);
        show(input, message);
        if (message && !bad) { bad = input; }
      });
      if (bad) {
        event.preventDefault();
        bad.focus();
        return;
      }
      if (form.getAttribute("data-busy") === "true") {
        event.preventDefault();
        return;
      }
      form.setAttribute("data-busy", "true");
      // Buttons stay enabled: a disabled submitter would not send its name and value.
      var button = event.submitter;
      if (button && button.getAttribute("data-busy-text")) {
        button.setAttribute("data-idle-text", button.textContent);
        button.textContent = button.getAttribute("data-busy-text");
        button.setAttribute("aria-busy", "true");
      }
    });
  });

  // Coming back with the browser's Back button shows the page as it was left: ready again.
  window.addEventListener("pageshow", function () {
    document.querySelectorAll(".js-upload-form[data-busy]").forEach(function (form) {
      form.removeAttribute("data-busy");
      form.querySelectorAll("[aria-busy]").forEach(function (button) {
        button.removeAttribute("aria-busy");
        if (button.getAttribute("data-idle-text")) { button.textContent = button.getAttribute("data-idle-text"); }
      });
    });
  });
}());
