/* Trade On: the little behaviour the pages need on top of htmx. No build step. */
(function () {
  "use strict";

  // HS code suggestions: clicking one fills the product form's HS code box.
  document.addEventListener("click", function (event) {
    var choice = event.target.closest("[data-hs-code]");
    if (!choice) return;
    var input = document.getElementById(choice.closest("[data-hs-target]").dataset.hsTarget);
    if (input) {
      input.value = choice.dataset.hsCode;
      input.dispatchEvent(new Event("change", { bubbles: true }));
      input.focus();
    }
    choice.closest("ul").innerHTML = "";
  });

  // Enter in a helper box (e.g. the HS code search) must not submit the surrounding form.
  document.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && event.target.matches("[data-no-submit]")) event.preventDefault();
  });

  // Pre-select the browser's time zone on sign-up, so a buyer rarely has to look for it.
  function detectTimeZone() {
    var zone;
    try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone; } catch (e) { return; }
    document.querySelectorAll("select[data-detect-timezone]").forEach(function (select) {
      if (!select.value && zone && select.querySelector('option[value="' + zone + '"]')) select.value = zone;
    });
  }

  // Ask before a destructive button (e.g. rejecting a buyer) is sent.
  document.addEventListener("submit", function (event) {
    var message = event.target.dataset.confirm;
    if (message && !window.confirm(message)) event.preventDefault();
  });

  document.addEventListener("DOMContentLoaded", detectTimeZone);
})();
