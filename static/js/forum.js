// Small behaviours on top of htmx. No inline script is allowed by the Content-Security-Policy,
// so everything the pages need lives here. Every page works without it.
(function () {
  "use strict";

  // Send the CSRF token with every htmx request that changes something.
  document.addEventListener("htmx:configRequest", function (event) {
    var meta = document.querySelector('meta[name="csrf-token"]');
    if (meta && event.detail.verb !== "get") {
      event.detail.headers["X-CSRF-Token"] = meta.content;
    }
  });

  // "Posting as": the name beside a form's submit button follows its "anonymously" box.
  document.addEventListener("change", function (event) {
    var box = event.target;
    if (!box.matches || !box.matches('input[type="checkbox"][name="anonymous"]') || !box.form) {
      return;
    }
    box.form.querySelectorAll("[data-posting]").forEach(function (name) {
      name.hidden = (name.getAttribute("data-posting") === "anonymous") !== box.checked;
    });
  });

  // Type-ahead for topic checkboxes: typing in a filter box hides the options that do not match.
  document.addEventListener("input", function (event) {
    var input = event.target;
    if (!input.matches || !input.matches("input[data-filter]")) {
      return;
    }
    var query = input.value.trim().toLowerCase();
    var scope = input.closest("fieldset") || document;
    scope.querySelectorAll(input.getAttribute("data-filter")).forEach(function (option) {
      var name = (option.getAttribute("data-name") || option.textContent).toLowerCase();
      var checked = option.querySelector("input:checked");
      option.hidden = query !== "" && name.indexOf(query) === -1 && !checked;
    });
  });

  // Live updates (htmx's SSE extension, views/partials/live.html): a post already on the
  // page is swapped for its new self where it stands; a post not on it yet is added after
  // the replies by the extension. A post its author is editing is left as it is, so that
  // nothing they type is lost.
  document.addEventListener("htmx:sseBeforeMessage", function (event) {
    var message = event.detail;
    if (!message || message.type !== "post" || typeof message.data !== "string") {
      return;
    }
    var holder = document.createElement("template");
    holder.innerHTML = message.data;
    var post = holder.content.firstElementChild;
    var existing = post && post.id ? document.getElementById(post.id) : null;
    if (!existing) {
      return;
    }
    event.preventDefault();
    if (existing.tagName !== "FORM") {
      htmx.swap(existing, message.data, { swapStyle: "outerHTML" });
    }
  });

  // A post can arrive twice: in the answer to the member's own reply and in the live
  // updates, whichever comes first. The one that came last stays.
  document.addEventListener("htmx:load", function (event) {
    var added = event.detail && event.detail.elt;
    if (!added || !added.matches || !added.matches("article.post[id]")) {
      return;
    }
    document.querySelectorAll('[id="' + added.id + '"]').forEach(function (other) {
      if (other === added) {
        return;
      }
      if (other.tagName === "FORM") {
        added.remove(); // being edited: the member's words come first
      } else {
        other.remove();
      }
    });
  });
})();
