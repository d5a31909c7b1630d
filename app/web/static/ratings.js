/* Self-assessment questionnaire: save each line as it is answered.
 *
 * Without this script every line has its own Save button that posts the form. With it, a
 * line saves itself when a level is chosen and when its reason has been edited, through the
 * ratings API. Hospital and office Wi-Fi drops out, so a save that cannot reach the server is
 * kept and retried (with growing pauses, and at once when the browser is back online); only
 * one save per line is ever in flight, and the latest answer is the one that lands.
 */
(function () {
  "use strict";

  var forms = document.querySelectorAll("form[data-autosave]");
  if (!forms.length || !window.fetch) {
    return;
  }

  var TYPING_PAUSE_MS = 1500;
  var RETRY_FIRST_MS = 2000;
  var RETRY_MAX_MS = 30000;
  var lines = [];

  function timeNow() {
    var now = new Date();
    var minutes = String(now.getMinutes());
    return now.getHours() + ":" + (minutes.length < 2 ? "0" + minutes : minutes);
  }

  function setStatus(line, text, kind) {
    line.status.className = "save-status" + (kind ? " save-status--" + kind : "");
    line.status.textContent = "";
    if (kind === "ok") {
      var ok = document.createElement("span");
      ok.className = "save-status__ok";
      ok.textContent = text;
      line.status.appendChild(ok);
    } else {
      line.status.textContent = text;
    }
  }

  function chosenValue(form) {
    var checked = form.querySelector('input[name="value"]:checked');
    return checked ? parseInt(checked.value, 10) : null;
  }

  function updateProgress() {
    var rated = 0;
    var byDomain = {};
    lines.forEach(function (line) {
      if (line.rated) {
        rated += 1;
        byDomain[line.domain] = (byDomain[line.domain] || 0) + 1;
      }
    });
    var count = document.querySelector("[data-rated-count]");
    var bar = document.getElementById("progress-bar");
    if (count) {
      count.textContent = String(rated);
    }
    if (bar) {
      bar.value = rated;
      bar.textContent = rated + " of " + bar.getAttribute("data-total");
    }
    document.querySelectorAll("[data-domain-count]").forEach(function (el) {
      var key = el.getAttribute("data-domain-count");
      el.textContent = (byDomain[key] || 0) + " of " + el.getAttribute("data-total") + " rated";
    });
  }

  function problemFrom(response) {
    return response.json().then(
      function (body) {
        return body && body.detail ? String(body.detail) : "the server refused the change";
      },
      function () {
        return "the server refused the change";
      }
    );
  }

  function scheduleRetry(line) {
    clearTimeout(line.retryTimer);
    line.retryTimer = setTimeout(function () {
      save(line);
    }, line.retryDelay);
    line.retryDelay = Math.min(line.retryDelay * 2, RETRY_MAX_MS);
  }

  function save(line) {
    clearTimeout(line.typingTimer);
    var value = chosenValue(line.form);
    if (value === null) {
      setStatus(line, "Choose a level to save this line", "pending");
      return;
    }
    if (line.inFlight) {
      line.again = true; // send the newest answer once the current save has finished
      return;
    }
    line.inFlight = true;
    line.again = false;
    line.dirty = false;
    setStatus(line, "Saving…", "pending");
    var body = JSON.stringify({ value: value, rationale: line.rationale ? line.rationale.value : "" });
    fetch(line.api, {
      method: "PUT",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        Accept: "application/json",
        "X-CSRF-Token": line.csrf
      },
      body: body
    })
      .then(function (response) {
        line.inFlight = false;
        if (response.ok) {
          line.retryDelay = RETRY_FIRST_MS;
          line.rated = true;
          line.form.setAttribute("data-rated", "yes");
          updateProgress();
          if (line.again || line.dirty) {
            save(line);
          } else {
            setStatus(line, "Saved at " + timeNow(), "ok");
          }
          return;
        }
        if (response.status >= 500 || response.status === 429) {
          line.dirty = true;
          setStatus(line, "Not saved yet: the server is busy. Trying again…", "pending");
          scheduleRetry(line);
          return;
        }
        if (response.status === 401) {
          line.dirty = true;
          setStatus(line, "Not saved: you have been signed out. Copy any reason you wrote, sign in again and reload.", "error");
          return;
        }
        return problemFrom(response).then(function (message) {
          // Refused (the self-assessment was closed, say): sending it again would not help.
          line.dirty = false;
          setStatus(line, "Not saved: " + message, "error");
        });
      })
      .catch(function () {
        // No answer at all: the connection dropped. Keep the answer and try again.
        line.inFlight = false;
        line.dirty = true;
        setStatus(line, "Not saved yet: no connection. Your answer is kept on this page and will be saved when the connection is back.", "pending");
        scheduleRetry(line);
      });
  }

  Array.prototype.forEach.call(forms, function (form) {
    var line = {
      form: form,
      api: form.getAttribute("data-api"),
      domain: form.getAttribute("data-domain"),
      rated: form.getAttribute("data-rated") === "yes",
      status: form.querySelector("[data-status]"),
      rationale: form.querySelector('textarea[name="rationale"]'),
      csrf: (form.querySelector('input[name="csrf_token"]') || {}).value || "",
      inFlight: false,
      again: false,
      dirty: false,
      retryDelay: RETRY_FIRST_MS,
      typingTimer: null,
      retryTimer: null
    };
    lines.push(line);

    form.addEventListener("change", function (event) {
      if (event.target && event.target.name === "value") {
        save(line);
      }
    });
    if (line.rationale) {
      line.rationale.addEventListener("input", function () {
        line.dirty = true;
        clearTimeout(line.typingTimer);
        line.typingTimer = setTimeout(function () {
          save(line);
        }, TYPING_PAUSE_MS);
      });
      line.rationale.addEventListener("blur", function () {
        if (line.dirty) {
          save(line);
        }
      });
    }
    form.addEventListener("submit", function (event) {
      // The Save button still works, but saves in place rather than reloading the page.
      event.preventDefault();
      save(line);
    });
  });

  window.addEventListener("online", function () {
    lines.forEach(function (line) {
      if (line.dirty && !line.inFlight) {
        line.retryDelay = RETRY_FIRST_MS;
        save(line);
      }
    });
  });

  window.addEventListener("beforeunload", function (event) {
    var unsaved = lines.some(function (line) {
      return line.inFlight || (line.dirty && chosenValue(line.form) !== null);
    });
    if (unsaved) {
      event.preventDefault();
      event.returnValue = "";
    }
  });
})();
