/* Evidence entry, as an enhancement: every page works without this script.
 *
 * - The line-of-enquiry picker gets a type-ahead filter and live "chosen" counts.
 * - The entry form keeps a draft on this device (localStorage), keyed by the item's id, so
 *   notes survive a reload, a closed tab or an expired session; the draft is removed once the
 *   server has saved the item.
 * - Saving goes through fetch and, when the network drops, is retried with the same id. The
 *   server stores an id once, so a retry can never make a second copy.
 */
(function () {
  "use strict";

  var PREFIX = "sysreview:evidence-draft:";
  var SKIP = { csrf_token: true, id: true, version: true };

  function each(list, fn) {
    Array.prototype.forEach.call(list, fn);
  }

  function store() {
    try {
      var s = window.localStorage;
      s.setItem(PREFIX + "probe", "1");
      s.removeItem(PREFIX + "probe");
      return s;
    } catch (e) {
      return null; // private browsing or storage switched off: the form still works
    }
  }

  function keyFor(reviewId, evidenceId) {
    return PREFIX + reviewId + ":" + evidenceId;
  }

  function drafts(s, reviewId) {
    var found = [];
    for (var i = 0; i < s.length; i++) {
      var key = s.key(i);
      if (key && key.indexOf(PREFIX + reviewId + ":") === 0) {
        try {
          var draft = JSON.parse(s.getItem(key));
          if (draft && draft.fields) {
            draft.key = key;
            found.push(draft);
          }
        } catch (e) {
          s.removeItem(key);
        }
      }
    }
    found.sort(function (a, b) { return b.savedAt - a.savedAt; });
    return found;
  }

  function clock(ms) {
    var d = new Date(ms);
    var today = new Date().toDateString() === d.toDateString();
    var time = d.toLocaleTimeString("en-GB", { hour: "2-digit", minute: "2-digit" });
    return today ? time : d.toLocaleDateString("en-GB", { day: "numeric", month: "long" }) + " at " + time;
  }

  function localToday() {
    var d = new Date();
    var pad = function (n) { return (n < 10 ? "0" : "") + n; };
    return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate());
  }

  function readFields(form) {
    var fields = {};
    each(form.elements, function (el) {
      if (!el.name || SKIP[el.name] || /^(hidden|submit|button|file|reset)$/.test(el.type)) return;
      if (el.type === "checkbox") {
        fields[el.name] = fields[el.name] || [];
        if (el.checked) fields[el.name].push(el.value);
      } else if (el.type === "radio") {
        if (el.checked) fields[el.name] = el.value;
        else if (!(el.name in fields)) fields[el.name] = "";
      } else {
        fields[el.name] = el.value;
      }
    });
    return fields;
  }

  function writeFields(form, fields) {
    each(form.elements, function (el) {
      if (!el.name || SKIP[el.name] || !(el.name in fields)) return;
      var value = fields[el.name];
      if (el.type === "checkbox") el.checked = Array.isArray(value) && value.indexOf(el.value) !== -1;
      else if (el.type === "radio") el.checked = el.value === value;
      else if (!/^(hidden|submit|button|file|reset)$/.test(el.type)) el.value = value;
    });
  }

  function same(a, b) {
    return JSON.stringify(a) === JSON.stringify(b);
  }

  function button(text, onClick) {
    var b = document.createElement("button");
    b.type = "button";
    b.className = "button button--secondary";
    b.textContent = text;
    b.addEventListener("click", onClick);
    return b;
  }

  function paragraph(text) {
    var p = document.createElement("p");
    p.textContent = text;
    return p;
  }

  /* The line-of-enquiry picker --------------------------------------------------------------- */

  function countChosen(domain) {
    var n = domain.querySelectorAll("input[name=lines]:checked").length;
    var label = domain.querySelector(".loe-domain__count");
    if (label) label.textContent = n ? "(" + n + " chosen)" : "";
    return n;
  }

  function refreshPicker(form) {
    // After fields are filled in from a draft: counts, and open every domain with a choice.
    each(form.querySelectorAll(".loe-domain"), function (domain) {
      if (countChosen(domain)) domain.open = true;
    });
  }

  function initPicker(form) {
    var picker = form.querySelector(".loe-picker");
    if (!picker) return;
    var domains = picker.querySelectorAll(".loe-domain");

    picker.addEventListener("change", function (event) {
      if (event.target.name !== "lines") return;
      var domain = event.target.closest(".loe-domain");
      if (domain) countChosen(domain);
    });

    var box = picker.querySelector(".js-loe-filter");
    if (!box) return;
    box.hidden = false;
    var input = box.querySelector("input");
    var status = box.querySelector(".loe-filter__status");

    input.addEventListener("keydown", function (event) {
      if (event.key === "Enter") event.preventDefault(); // filtering, not saving
    });
    input.addEventListener("input", function () {
      var words = input.value.toLowerCase().split(/\s+/).filter(Boolean);
      var shown = 0;
      each(domains, function (domain) {
        var matches = 0;
        each(domain.querySelectorAll(".loe-option"), function (option) {
          var text = option.getAttribute("data-search") || "";
          var hit = words.every(function (w) { return text.indexOf(w) !== -1; });
          option.hidden = !hit;
          if (hit) matches += 1;
        });
        if (words.length) {
          if (!domain.hasAttribute("data-was-open")) domain.setAttribute("data-was-open", domain.open ? "1" : "");
          domain.hidden = matches === 0;
          domain.open = matches > 0;
        } else {
          domain.hidden = false;
          if (domain.hasAttribute("data-was-open")) {
            domain.open = domain.getAttribute("data-was-open") === "1" || countChosen(domain) > 0;
            domain.removeAttribute("data-was-open");
          }
        }
        shown += matches;
      });
      if (!words.length) status.textContent = "";
      else if (!shown) status.textContent = "No line of enquiry matches.";
      else status.textContent = shown + (shown === 1 ? " line matches." : " lines match.");
    });
  }

  /* Drafts and saving --------------------------------------------------------------------------- */

  function initForm(form) {
    var s = store();
    var reviewId = form.getAttribute("data-review-id");
    var mode = form.getAttribute("data-mode");
    var version = form.getAttribute("data-version") || "";
    var idInput = form.querySelector("input[name=id]");
    var originalId = idInput.value;
    var notice = document.querySelector(".js-draft-notice");
    var status = form.querySelector(".js-save-status");
    var submit = form.querySelector("button[type=submit]");
    var hasErrors = !!document.getElementById("error-summary");

    // A new item is dated today where the reviewer is, not where the server is.
    var date = form.querySelector("[data-default-today]");
    if (date && !hasErrors && date.value === date.getAttribute("data-today")) date.value = localToday();
    if (date && date.max && localToday() > date.max) date.max = localToday();

    var initial = readFields(form);

    function currentKey() {
      return keyFor(reviewId, idInput.value);
    }

    function successPath() {
      return "/reviews/" + reviewId + "/evidence/" + idInput.value;
    }

    var done = false; // saved on the server: nothing left to keep

    function saveDraft() {
      if (!s || done) return;
      var fields = readFields(form);
      if (same(fields, initial) && !hasErrors) {
        s.removeItem(currentKey()); // nothing typed yet, or typed and undone
        return;
      }
      try {
        s.setItem(currentKey(), JSON.stringify({
          savedAt: Date.now(), mode: mode, version: version, id: idInput.value, title: fields.title || "", fields: fields
        }));
      } catch (e) {
        /* storage full: the form itself still holds the text */
      }
    }

    var timer = null;
    function saveSoon() {
      window.clearTimeout(timer);
      timer = window.setTimeout(saveDraft, 400);
    }
    form.addEventListener("input", saveSoon);
    form.addEventListener("change", saveSoon);
    window.addEventListener("pagehide", saveDraft);

    function showNotice(nodes) {
      if (!notice) return;
      notice.textContent = "";
      nodes.forEach(function (n) { notice.appendChild(n); });
      notice.hidden = nodes.length === 0;
    }

    // A draft of a new item takes over the form, id included: saving it then completes (or
    // repeats harmlessly) whatever earlier attempt was lost.
    function adopt(draft) {
      idInput.value = draft.id;
      form.setAttribute("data-evidence-id", draft.id);
      writeFields(form, draft.fields);
      refreshPicker(form);
    }

    function restoredNotice(draft) {
      return [
        paragraph("We put back the evidence you were entering at " + clock(draft.savedAt) + ". It has not been saved yet."),
        button("Discard this draft", discard)
      ].concat(otherDrafts());
    }

    function otherDrafts() {
      if (!s || mode !== "new") return [];
      var others = drafts(s, reviewId).filter(function (d) { return d.mode === "new" && d.id !== idInput.value; });
      if (!others.length) return [];
      var list = document.createElement("ul");
      others.forEach(function (d) {
        var li = document.createElement("li");
        li.appendChild(button("Continue “" + (d.title || "untitled") + "” (" + clock(d.savedAt) + ")", function () {
          saveDraft();
          adopt(d);
          showNotice(restoredNotice(d));
        }));
        list.appendChild(li);
      });
      return [paragraph(others.length === 1
        ? "Another item on this device has not been saved yet:"
        : others.length + " other items on this device have not been saved yet:"), list];
    }

    function discard() {
      if (s) s.removeItem(currentKey());
      idInput.value = originalId;
      writeFields(form, initial);
      refreshPicker(form);
      showNotice([paragraph("The unsaved draft has been discarded.")].concat(otherDrafts()));
    }

    if (s && !hasErrors) {
      if (mode === "edit") {
        var raw = s.getItem(currentKey());
        var mine = raw ? JSON.parse(raw) : null;
        if (mine && mine.version === version) {
          writeFields(form, mine.fields);
          refreshPicker(form);
          showNotice([paragraph("Your unsaved changes from " + clock(mine.savedAt) + " have been put back."),
            button("Discard them", discard)]);
        } else if (mine) {
          showNotice([
            paragraph("You have unsaved changes from " + clock(mine.savedAt) + " made to version " + mine.version +
              ". Someone has changed this evidence since, so check it before putting your changes back."),
            button("Put my changes back", function () { writeFields(form, mine.fields); refreshPicker(form); showNotice([]); }),
            button("Discard them", discard)
          ]);
        }
      } else {
        var waiting = drafts(s, reviewId).filter(function (d) { return d.mode === "new"; });
        if (waiting.length) {
          adopt(waiting[0]);
          showNotice(restoredNotice(waiting[0]));
        }
      }
    }

    /* Saving with retries ------------------------------------------------------------------------ */
    var sending = false;
    var attempts = 0;
    var retryTimer = null;

    function setStatus(text, problem, retry) {
      status.textContent = text;
      status.classList.toggle("save-status--problem", !!problem);
      if (retry) status.appendChild(button("Try now", send));
    }

    function busy(on) {
      sending = on;
      submit.disabled = on;
      if (on) {
        submit.setAttribute("data-idle-text", submit.textContent);
        submit.textContent = submit.getAttribute("data-busy-text") || submit.textContent;
      } else if (submit.getAttribute("data-idle-text")) {
        submit.textContent = submit.getAttribute("data-idle-text");
      }
    }

    var backOnline = false; // the connection returned while a doomed attempt was in flight

    function retryLater(reason) {
      busy(false);
      attempts += 1;
      var seconds = backOnline ? 1 : Math.min(30, Math.pow(2, attempts));
      backOnline = false;
      setStatus("Not saved yet: " + reason + " Your evidence is kept on this device and will be sent again in " +
        seconds + " seconds.", true, true);
      window.clearTimeout(retryTimer);
      retryTimer = window.setTimeout(send, seconds * 1000);
    }

    function showPage(html) {
      var page = new DOMParser().parseFromString(html, "text/html");
      var main = page.querySelector("main");
      if (!main) {
        retryLater("the server sent an unexpected answer.");
        return;
      }
      document.querySelector("main").replaceWith(document.importNode(main, true));
      document.title = page.title;
      start();
      var summary = document.getElementById("error-summary");
      (summary || document.querySelector("main")).focus();
    }

    function send() {
      if (sending) return;
      window.clearTimeout(retryTimer);
      retryTimer = null;
      saveDraft();
      busy(true);
      setStatus("Saving…", false, false);
      var csrf = form.querySelector("input[name=csrf_token]");
      window.fetch(form.action, {
        method: "POST",
        body: new URLSearchParams(new FormData(form)),
        credentials: "same-origin",
        headers: { "Accept": "text/html", "X-CSRF-Token": csrf ? csrf.value : "" }
      }).then(function (response) {
        var path = new URL(response.url).pathname;
        if (response.ok && response.redirected && path === successPath()) {
          done = true;
          if (s) s.removeItem(currentKey());
          window.location.assign(response.url);
          return null;
        }
        if (response.ok && response.redirected) {
          // Signed out meanwhile: the draft stays here for when the reviewer is back.
          window.location.assign(response.url);
          return null;
        }
        if (response.status >= 500 || response.status === 408 || response.status === 429) {
          retryLater("the server could not save it just now.");
          return null;
        }
        return response.text().then(showPage);
      }).catch(function () {
        retryLater("there is no connection.");
      });
    }

    form.addEventListener("submit", function (event) {
      if (!window.fetch || !window.URLSearchParams || !window.DOMParser) return; // a plain post
      event.preventDefault();
      attempts = 0;
      send();
    });
    window.addEventListener("online", function () {
      if (sending) backOnline = true;
      else if (retryTimer) send();
    });
  }

  function start() {
    each(document.querySelectorAll(".js-evidence-form"), function (form) {
      initPicker(form);
      initForm(form);
    });
    // After a successful save the detail page says which item's draft can go.
    var saved = document.querySelector("[data-saved-evidence]");
    var s = store();
    if (saved && s) {
      s.removeItem(keyFor(saved.getAttribute("data-review-id"), saved.getAttribute("data-saved-evidence")));
    }
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
