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
  // the replies by the extension. A post its author is editing, or one with a form open in
  // it (a report being written), is left as it is, so that nothing anyone types is lost.
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
    if (existing.tagName !== "FORM" && !existing.querySelector("textarea")) {
      var hadFocus = existing.contains(document.activeElement);
      htmx.swap(existing, message.data, { swapStyle: "outerHTML" });
      if (hadFocus) {
        keepFocus(document.getElementById(post.id));
      }
    }
  });

  // keepFocus gives the focus to a post that took the place of the one that had it, so
  // that a live update never drops a keyboard user's place on the page.
  function keepFocus(el) {
    if (!el || el.contains(document.activeElement)) {
      return;
    }
    if (!el.hasAttribute("tabindex")) {
      el.setAttribute("tabindex", "-1");
    }
    el.focus({ preventScroll: true });
  }

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
        var hadFocus = other.contains(document.activeElement);
        other.remove();
        if (hadFocus) {
          keepFocus(added);
        }
      }
    });
  });

  // Mentions: typing "@ma" in a question or a reply offers up to eight members whose names
  // start so (GET /members/complete, names only). Arrow keys move through them, Enter or
  // Tab takes one, Escape closes the list; a click takes one too. Without this script
  // "@name" is typed by hand and mentions just the same.
  var mention = { list: null, field: null, at: -1, names: [], active: -1, timer: 0, asked: 0 };
  var mentionBefore = /(^|[^\p{L}\p{N}_.@\/-])@([\p{L}\p{N}][\p{L}\p{N}_.-]{0,29})$/u;

  function closeMentions() {
    if (mention.list) {
      mention.list.remove();
    }
    if (mention.field) {
      mention.field.removeAttribute("aria-activedescendant");
      mention.field.setAttribute("aria-expanded", "false");
    }
    mention.list = null;
    mention.names = [];
    mention.active = -1;
  }

  function showMentions(field, names) {
    closeMentions();
    if (names.length === 0) {
      return;
    }
    var list = document.createElement("ul");
    list.id = field.id + "-mentions";
    list.className = "mention-list";
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-label", "Members to mention");
    names.forEach(function (name, i) {
      var item = document.createElement("li");
      item.id = list.id + "-" + i;
      item.setAttribute("role", "option");
      item.setAttribute("aria-selected", "false");
      item.textContent = "@" + name;
      item.addEventListener("mousedown", function (event) {
        event.preventDefault(); // keep the focus in the text
        takeMention(i);
      });
      list.appendChild(item);
    });
    field.insertAdjacentElement("afterend", list);
    field.setAttribute("aria-controls", list.id);
    field.setAttribute("aria-autocomplete", "list");
    field.setAttribute("aria-expanded", "true");
    mention.list = list;
    mention.field = field;
    mention.names = names;
    moveMention(0);
  }

  function moveMention(i) {
    if (!mention.list || mention.names.length === 0) {
      return;
    }
    mention.active = (i + mention.names.length) % mention.names.length;
    Array.prototype.forEach.call(mention.list.children, function (item, j) {
      item.setAttribute("aria-selected", j === mention.active ? "true" : "false");
    });
    mention.field.setAttribute("aria-activedescendant", mention.list.id + "-" + mention.active);
  }

  function takeMention(i) {
    var field = mention.field, name = mention.names[i];
    if (!field || name === undefined || mention.at < 0) {
      return;
    }
    var caret = field.selectionStart;
    var text = field.value.slice(0, mention.at + 1) + name + " ";
    field.value = text + field.value.slice(caret);
    field.setSelectionRange(text.length, text.length);
    closeMentions();
    field.focus();
    // The draft is saved as after any typing.
    field.dispatchEvent(new Event("input", { bubbles: true }));
  }

  document.addEventListener("input", function (event) {
    var field = event.target;
    if (!field.matches || !field.matches("textarea[data-mentions]")) {
      return;
    }
    window.clearTimeout(mention.timer);
    var match = mentionBefore.exec(field.value.slice(0, field.selectionStart));
    if (!match) {
      closeMentions();
      return;
    }
    var prefix = match[2];
    mention.at = field.selectionStart - prefix.length - 1;
    mention.timer = window.setTimeout(function () {
      var asked = ++mention.asked;
      fetch("/members/complete?q=" + encodeURIComponent(prefix), {
        credentials: "same-origin", headers: { "Accept": "application/json" }
      }).then(function (response) {
        return response.ok ? response.json() : [];
      }).then(function (names) {
        if (asked === mention.asked && document.activeElement === field) {
          showMentions(field, Array.isArray(names) ? names : []);
        }
      }).catch(function () {});
    }, 150);
  });

  document.addEventListener("keydown", function (event) {
    if (!mention.list || event.target !== mention.field) {
      return;
    }
    switch (event.key) {
      case "ArrowDown":
        moveMention(mention.active + 1);
        break;
      case "ArrowUp":
        moveMention(mention.active - 1);
        break;
      case "Enter":
      case "Tab":
        takeMention(mention.active);
        break;
      case "Escape":
        closeMentions();
        break;
      default:
        return;
    }
    event.preventDefault();
  });

  document.addEventListener("focusout", function (event) {
    if (event.target === mention.field) {
      closeMentions();
    }
  });
})();

// ---------------------------------------------------------------------------
// Feedback for every request: it shows that it is working, and a failure says what
// happened without touching what the member wrote.
//
// - A form that sends (htmx or not) disables its buttons, and the button pressed reads
//   "Sending…" until the answer comes.
// - A form the server sends back to be shown (a reply refused with its text and the
//   reason, status 403 or 422, marked with HX-Retarget) is swapped in even with an error
//   status: htmx 2 swaps no 4xx/5xx answer by itself.
// - Any other failure (429, 5xx, offline, no answer in time) is a calm message: in the
//   form that sent the request (its role="alert" line), beside a field that saves as one
//   types, or at the bottom of the window. Nothing clears a text field on failure.
// ---------------------------------------------------------------------------
(function () {
  "use strict";

  var sendingLabel = "Sending…";
  var requestTimeout = 30000; // ms; a slower answer is reported, not waited for forever
  var buttons = 'button:not([type]), button[type="submit"], input[type="submit"]';

  function submitButtons(form) {
    return Array.prototype.slice.call(form.querySelectorAll(buttons));
  }

  // busy shows that form is sending: every submit button is disabled (a second press
  // sends nothing twice) and the one pressed says so.
  function busy(form, pressed) {
    form.setAttribute("aria-busy", "true");
    submitButtons(form).forEach(function (b) { b.disabled = true; });
    var b = pressed && form.contains(pressed) ? pressed : submitButtons(form)[0];
    // A button made of parts (a persona's card) keeps them; it is only disabled.
    if (b && b.tagName === "BUTTON" && b.children.length === 0 && !b.hasAttribute("data-label")) {
      b.setAttribute("data-label", b.textContent);
      b.textContent = sendingLabel;
    }
  }

  function idle(form) {
    form.removeAttribute("aria-busy");
    submitButtons(form).forEach(function (b) {
      b.disabled = false;
      if (b.hasAttribute("data-label")) {
        b.textContent = b.getAttribute("data-label");
        b.removeAttribute("data-label");
      }
    });
  }

  // The button that submitted a form, for browsers without SubmitEvent.submitter.
  var lastPressed = null;
  document.addEventListener("click", function (event) {
    var b = event.target.closest && event.target.closest(buttons);
    lastPressed = b && b.form ? b : null;
  }, true);

  // Forms that post without htmx: the page is about to change. The buttons are disabled a
  // moment later, once the browser has read the pressed button's name and value.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (event.defaultPrevented || form.hasAttribute("data-sending")) {
      if (form.hasAttribute("data-sending")) {
        event.preventDefault(); // already on its way
      }
      return;
    }
    if ((form.getAttribute("method") || "get").toLowerCase() !== "post") {
      return;
    }
    var pressed = event.submitter || lastPressed;
    form.setAttribute("data-sending", "");
    window.setTimeout(function () { busy(form, pressed); }, 0);
    // Should the page never change (the browser stopped, the network dropped), the form
    // is ready again after a while.
    window.setTimeout(function () {
      form.removeAttribute("data-sending");
      idle(form);
    }, requestTimeout);
  });

  // Coming back to a page from the history (back button) shows its forms ready again.
  window.addEventListener("pageshow", function () {
    document.querySelectorAll("form[data-sending]").forEach(function (form) {
      form.removeAttribute("data-sending");
      idle(form);
    });
  });

  // sent reports whether an htmx request sends a form the member submitted (not an
  // autosave, a preview or a search as they type).
  function sent(detail) {
    var ev = detail.requestConfig && detail.requestConfig.triggeringEvent;
    return !!ev && ev.type === "submit";
  }

  function formOf(elt) {
    return elt && (elt.tagName === "FORM" ? elt : elt.closest("form"));
  }

  document.addEventListener("htmx:configRequest", function (event) {
    if (!event.detail.timeout) {
      event.detail.timeout = requestTimeout;
    }
  });

  document.addEventListener("htmx:beforeRequest", function (event) {
    var detail = event.detail;
    var form = formOf(detail.elt);
    if (form && sent(detail)) {
      say(form, "");
      busy(form, event.detail.requestConfig.triggeringEvent.submitter || lastPressed);
    }
  });

  document.addEventListener("htmx:afterRequest", function (event) {
    var detail = event.detail;
    var form = formOf(detail.elt);
    var xhr = detail.xhr;
    if (xhr && xhr.getResponseHeader && xhr.getResponseHeader("HX-Redirect")) {
      return; // the page is about to change: the form stays as it is until it does
    }
    if (form && sent(detail)) {
      idle(form);
    }
    if (detail.successful && sent(detail)) {
      toast("");
    }
  });

  // A form the server sent back to be shown (it set HX-Retarget: a reply refused, with
  // the text and the reason) is swapped in whatever its status.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var xhr = event.detail.xhr;
    if (event.detail.isError && xhr.status >= 400 && xhr.status < 500 && xhr.getResponseHeader("HX-Retarget")) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  // reason says, in a sentence, why a request failed.
  function reason(status) {
    switch (true) {
      case status === 0: return "The forum could not be reached. Check your connection, then try again.";
      case status === -1: return "The forum took too long to answer, so the page stopped waiting. Check whether it went through before you try again.";
      case status === 429: return "That was more requests than the forum takes in a short time. Wait a minute, then try again.";
      case status === 413: return "That is longer than the forum accepts. Shorten it, or split it in two.";
      case status === 401 || status === 403: return "The forum refused this: you may have been signed out. Copy your text, reload the page, and try again.";
      case status === 404: return "This is no longer here; it may have been removed.";
      case status === 409: return "That was already done, so nothing changed.";
      case status === 503: return "The forum is busy or restarting. Try again in a moment.";
      case status >= 500: return "Something went wrong on our side. Try again in a moment.";
    }
    return "The forum could not take this (error " + status + ").";
  }

  // hasText reports whether form holds words the member wrote.
  function hasText(form) {
    return Array.prototype.some.call(form.querySelectorAll("textarea, input[type=text], input:not([type])"), function (f) {
      return f.value.trim() !== "";
    });
  }

  // statusLine is the form's role="alert" line for what happened to a request, made on
  // first use just before the form's buttons.
  function statusLine(form) {
    var line = form.querySelector("[data-request-status]");
    if (!line) {
      line = document.createElement("p");
      line.className = "request-status";
      line.setAttribute("role", "alert");
      line.setAttribute("data-request-status", "");
      var actions = form.querySelector(".form-actions");
      form.insertBefore(line, actions && actions.parentNode === form ? actions : null);
    }
    return line;
  }

  function say(form, text) {
    var line = form.querySelector("[data-request-status]");
    if (line || text) {
      statusLine(form).textContent = text;
    }
  }

  // toast shows a message at the bottom of the window (empty: hides it).
  var toastBox = null;
  function toast(text) {
    if (!toastBox) {
      if (!text) {
        return;
      }
      toastBox = document.createElement("div");
      toastBox.className = "request-toast";
      toastBox.hidden = true;
      var line = document.createElement("p");
      line.setAttribute("role", "alert");
      var close = document.createElement("button");
      close.type = "button";
      close.className = "link-button";
      close.textContent = "Dismiss";
      close.addEventListener("click", function () { toast(""); });
      toastBox.appendChild(line);
      toastBox.appendChild(close);
      document.body.appendChild(toastBox);
    }
    var p = toastBox.querySelector("p");
    if (!text) {
      p.textContent = "";
      toastBox.hidden = true;
      return;
    }
    toastBox.hidden = false;
    // The words arrive after the box is shown, so that screen readers announce them.
    window.setTimeout(function () { p.textContent = text; }, 50);
  }

  function failed(event, status) {
    var detail = event.detail;
    var elt = detail.elt;
    var form = formOf(elt);
    if (status > 0 && detail.boosted) {
      // A link followed in place that failed: load the page itself, which says why.
      window.location.href = detail.pathInfo.requestPath;
      return;
    }
    if (form && sent(detail)) {
      say(form, (status === -1 ? "" : "Not sent. ") + reason(status) + (hasText(form) ? " Your text is still here." : ""));
      return;
    }
    var target = detail.target;
    if (form && target && target.hasAttribute("aria-live") && target !== form) {
      // A request made as the member types (autosave, preview, similar questions).
      var saving = /\/draft$/.test(detail.pathInfo.requestPath);
      target.textContent = (saving ? "Draft not saved: " : "") + reason(status);
      return;
    }
    toast(reason(status));
  }

  document.addEventListener("htmx:responseError", function (event) { failed(event, event.detail.xhr.status); });
  document.addEventListener("htmx:sendError", function (event) { failed(event, 0); });
  document.addEventListener("htmx:timeout", function (event) { failed(event, -1); });
})();
