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
