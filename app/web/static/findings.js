/* Finding form: narrow the evidence list to the chosen domain and to typed words, as you go.
   Without this script the "Show this evidence" button does the domain filter on the server. */
(function () {
  "use strict";
  var filter = document.querySelector("[data-evidence-filter]");
  if (!filter) { return; }
  var domainFilter = document.getElementById("evidence_domain");
  var domainField = document.getElementById("domain_key");
  var count = document.getElementById("evidence-count");
  var items = Array.prototype.slice.call(document.querySelectorAll(".evidence-choice"));
  var button = filter.querySelector(".evidence-filter__button");

  // A box for words in the title, added only when the script can act on it.
  var wordsField = document.createElement("div");
  wordsField.className = "field evidence-filter__words";
  var label = document.createElement("label");
  label.className = "field__label";
  label.htmlFor = "evidence_words";
  label.textContent = "Words in the title";
  var words = document.createElement("input");
  words.className = "input";
  words.id = "evidence_words";
  words.type = "search";
  words.autocomplete = "off";
  wordsField.appendChild(label);
  wordsField.appendChild(words);
  filter.appendChild(wordsField);
  if (button) { button.hidden = true; }

  function apply() {
    var domain = domainFilter.value;
    var typed = words.value.trim().toLowerCase();
    var shown = 0;
    items.forEach(function (item) {
      var box = item.querySelector("input");
      var title = item.querySelector(".evidence-choice__title").textContent.toLowerCase();
      var inDomain = !domain || (" " + item.getAttribute("data-domains") + " ").indexOf(" " + domain + " ") !== -1;
      var matches = inDomain && (!typed || title.indexOf(typed) !== -1);
      // Ticked evidence never disappears, so nothing chosen is hidden from the person choosing.
      item.hidden = !(matches || box.checked);
      if (!item.hidden) { shown += 1; }
    });
    count.textContent = "Showing " + shown + " of " + items.length + " items of evidence.";
  }

  domainFilter.addEventListener("change", apply);
  words.addEventListener("input", apply);
  words.addEventListener("keydown", function (event) {
    // Enter in the filter box narrows the list; it must not submit the finding.
    if (event.key === "Enter") { event.preventDefault(); apply(); }
  });
  if (domainField) {
    domainField.addEventListener("change", function () {
      if (domainField.value) { domainFilter.value = domainField.value; apply(); }
    });
  }
  apply();
}());
