// Safety on every page: the quick exit. No inline script is allowed by the
// Content-Security-Policy; without JavaScript the quick exit is a plain link.
(function () {
  "use strict";

  // leave goes to the quick exit's neutral site, replacing this page in the history, so
  // that the back button does not bring the forum back.
  function leave() {
    var link = document.getElementById("quick-exit");
    var to = link ? link.href : "https://www.google.com/search?q=weather";
    try {
      document.title = "";
      document.body.hidden = true;
    } catch (e) {
      // Leaving matters more than hiding.
    }
    window.location.replace(to);
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("[data-quick-exit]");
    if (!link || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) {
      return;
    }
    event.preventDefault();
    leave();
  });

  // Escape pressed twice within a second leaves, wherever the focus is.
  var lastEscape = 0;
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape" && event.key !== "Esc") {
      return;
    }
    var now = Date.now();
    if (now - lastEscape <= 1000) {
      lastEscape = 0;
      leave();
      return;
    }
    lastEscape = now;
  }, true);
})();
