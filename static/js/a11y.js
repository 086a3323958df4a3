// Keyboard and screen reader help on top of htmx: where focus goes after a swap, and the
// header menu. No inline script is allowed by the Content-Security-Policy, so it lives here;
// every page works without it (the menu is a <details>, forms post normally).
(function () {
  "use strict";

  // focusOn moves focus to el, making it focusable by script only if it is not already.
  function focusOn(el) {
    if (!el) {
      return false;
    }
    if (!el.matches("a[href], button, input, textarea, select, summary, [tabindex]")) {
      el.setAttribute("tabindex", "-1");
    }
    el.focus({ preventScroll: true });
    if (typeof el.setSelectionRange === "function" && el.tagName === "TEXTAREA") {
      // A quoted reply: the caret goes after the quote, where the member writes.
      el.setSelectionRange(el.value.length, el.value.length);
    }
    if (el.scrollIntoView && !inView(el)) {
      el.scrollIntoView({ block: "center" });
    }
    return document.activeElement === el;
  }

  function inView(el) {
    var r = el.getBoundingClientRect();
    return r.top >= 0 && r.bottom <= window.innerHeight;
  }

  function visible(el) {
    return !!(el.offsetWidth || el.offsetHeight || el.getClientRects().length) && !el.closest("[hidden], details:not([open]) > :not(summary)");
  }

  // pressed reports whether a request answers someone's own action: a link or a button they
  // pressed (Enter on a link is a click too), a form they sent. Requests that typing or
  // ticking starts (search as you type, previews, draft saves) or that arrive by themselves
  // must leave the focus where it is.
  function pressed(detail) {
    var cfg = detail.requestConfig || {};
    var how = cfg.triggeringEvent && cfg.triggeringEvent.type;
    return how === "click" || how === "submit";
  }

  function nothingFocused(el) {
    return !el || el === document.body || el === document.documentElement;
  }

  // focusPage sends focus to the heading of the page that a boosted link or a history
  // restore brought in, so that screen readers read where they are and Tab goes on from there.
  function focusPage() {
    var main = document.getElementById("main");
    if (!main) {
      return;
    }
    focusOn(main.querySelector("h1") || main);
  }

  // focusNew sends focus into content that a swap brought in: an invalid field first, then a
  // form's first field, a post, the first link of new list items, a heading, or the content.
  function focusNew(el) {
    var target =
      el.querySelector('[aria-invalid="true"]') ||
      (el.matches("form") || el.querySelector("form") ? firstField(el) : null) ||
      (el.matches("article") ? el : null) ||
      (el.matches("li") ? el.querySelector("a[href]") : null) ||
      el.querySelector("h1, h2, h3") ||
      el;
    focusOn(target);
  }

  function firstField(el) {
    var fields = el.querySelectorAll("textarea, input:not([type=hidden]), select");
    for (var i = 0; i < fields.length; i++) {
      if (visible(fields[i]) && !fields[i].disabled) {
        return fields[i];
      }
    }
    return null;
  }

  // Each request is remembered from just before its swap: what started it and how, what had
  // the focus, and where the main swap puts its content (out-of-band swaps, such as a fresh
  // reply form after a reply, are not where the reader's attention goes).
  var pending = new WeakMap();

  document.addEventListener("htmx:beforeSwap", function (event) {
    var d = event.detail;
    if (!d.xhr || !d.shouldSwap) {
      return;
    }
    var target = d.target;
    var trigger = d.requestConfig ? d.requestConfig.elt : d.elt;
    var active = document.activeElement;
    pending.set(d.xhr, {
      boosted: !!d.boosted || (target && target.tagName === "BODY"),
      trigger: trigger,
      pressed: pressed(d),
      active: nothingFocused(active) ? null : active,
      target: target,
      parent: target ? target.parentElement : null,
      children: target ? Array.prototype.slice.call(target.children) : [],
      siblings: target && target.parentElement ? Array.prototype.slice.call(target.parentElement.children) : [],
      seen: [],
    });
  });

  document.addEventListener("htmx:afterSettle", function (event) {
    var d = event.detail;
    var p = d.xhr && pending.get(d.xhr);
    if (!p) {
      return;
    }
    p.seen.push(event.target);
    if (p.scheduled) {
      return;
    }
    p.scheduled = true;
    // afterSettle fires once for each new element, one after the other: decide once all
    // of them are in.
    Promise.resolve().then(function () {
      pending.delete(d.xhr);
      settle(p);
    });
  });

  function settle(p) {
    if (p.boosted) {
      focusPage();
      return;
    }
    // Focus is lost when the swap took away the element that had it (a "Load more" link, a
    // form that was sent, a post replaced by its edit form).
    var lost = !!p.active && (!p.active.isConnected || nothingFocused(document.activeElement));
    if (!p.pressed && !lost) {
      return; // typing or reading goes on undisturbed; live regions say what changed
    }
    var fresh = mainContent(p);
    if (!fresh) {
      return;
    }
    // Activating a link or a button that stays (Quote, Edit) or that the swap took away
    // (Load more, a submitted form) sends focus to what came in.
    if (p.trigger && p.trigger.isConnected && fresh.contains(p.trigger)) {
      return;
    }
    focusNew(fresh);
  }

  // mainContent is the first element the main swap brought in, wherever it went.
  function mainContent(p) {
    var t = p.target;
    if (!t) {
      return null;
    }
    if (t.isConnected) {
      // innerHTML, beforeend and afterbegin keep the target: new content is a new child, or
      // the target itself when its whole inside changed.
      for (var i = 0; i < t.children.length; i++) {
        if (p.children.indexOf(t.children[i]) < 0) {
          return t.children[i];
        }
      }
      if (p.parent) {
        var sibs = p.parent.children;
        for (var j = 0; j < sibs.length; j++) {
          if (p.siblings.indexOf(sibs[j]) < 0) {
            return sibs[j]; // beforebegin, afterend
          }
        }
      }
      return p.seen.indexOf(t) >= 0 ? t : null;
    }
    // outerHTML: the target is gone and its replacement stands among its old siblings.
    if (p.parent && p.parent.isConnected) {
      var kids = p.parent.children;
      for (var k = 0; k < kids.length; k++) {
        if (p.siblings.indexOf(kids[k]) < 0) {
          return kids[k];
        }
      }
    }
    return null;
  }

  document.addEventListener("htmx:historyRestore", focusPage);

  // A table a member wrote can be wider than a phone: it scrolls sideways, and a region that
  // scrolls must be reachable by keyboard, which not every browser does by itself.
  function markScrollers(root) {
    (root && root.querySelectorAll ? root : document).querySelectorAll(".post-body table").forEach(function (table) {
      var scrolls = table.scrollWidth > table.clientWidth + 1;
      if (scrolls && !table.hasAttribute("tabindex")) {
        table.setAttribute("tabindex", "0");
        table.setAttribute("data-scrolls", "");
      } else if (!scrolls && table.hasAttribute("data-scrolls")) {
        table.removeAttribute("tabindex");
        table.removeAttribute("data-scrolls");
      }
    });
  }
  var resizing = false;
  window.addEventListener("resize", function () {
    if (!resizing) {
      resizing = true;
      window.requestAnimationFrame(function () {
        resizing = false;
        markScrollers(document);
      });
    }
  });
  document.addEventListener("htmx:load", function (event) {
    markScrollers(event.target);
  });
  // A post behind a content note is laid out only when it is opened.
  document.addEventListener("toggle", function (event) {
    markScrollers(event.target);
  }, true);
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () {
      markScrollers(document);
    });
  } else {
    markScrollers(document);
  }

  // The header menu: Escape closes it and gives focus back to its button; a click or focus
  // outside closes it, as people expect of a menu.
  function openMenus() {
    return document.querySelectorAll("details.site-menu[open]");
  }
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") {
      return;
    }
    openMenus().forEach(function (menu) {
      var inside = menu.contains(document.activeElement);
      menu.open = false;
      if (inside) {
        menu.querySelector("summary").focus();
      }
    });
  });
  function closeOutside(event) {
    openMenus().forEach(function (menu) {
      if (!menu.contains(event.target)) {
        menu.open = false;
      }
    });
  }
  document.addEventListener("click", closeOutside);
  document.addEventListener("focusin", closeOutside);
})();
