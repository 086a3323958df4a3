// Confirmation before a destructive action (app/web/confirm.go). A form with
// data-confirm="question" (or a button of it with one) asks in a dialog before it is sent; the answer "yes" sends it
// with confirmed=yes, so that the server does it at once. Without this script the form
// arrives unconfirmed and the server answers with a page that asks the same question.
(function () {
  "use strict";

  var dialog = null;

  function build() {
    dialog = document.createElement("dialog");
    dialog.className = "confirm-dialog";
    dialog.setAttribute("aria-labelledby", "confirm-dialog-text");
    var text = document.createElement("p");
    text.id = "confirm-dialog-text";
    var actions = document.createElement("div");
    actions.className = "confirm-actions";
    var yes = document.createElement("button");
    yes.type = "button";
    yes.className = "button button-danger";
    yes.setAttribute("data-confirm-yes", "");
    var no = document.createElement("button");
    no.type = "button";
    no.className = "button button-secondary";
    no.textContent = "Cancel";
    no.addEventListener("click", function () { dialog.close("cancel"); });
    actions.appendChild(yes);
    actions.appendChild(no);
    dialog.appendChild(text);
    dialog.appendChild(actions);
    document.body.appendChild(dialog);
  }

  function mark(form) {
    var field = form.querySelector('input[name="confirmed"]');
    if (!field) {
      field = document.createElement("input");
      field.type = "hidden";
      field.name = "confirmed";
      form.appendChild(field);
    }
    field.value = "yes";
  }

  // Capture: the question comes before htmx or the page's other handlers see the submit.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var submitter = event.submitter || null;
    // The question is the form's, or that of the button that sent it (one of several).
    var asker = submitter && submitter.hasAttribute && submitter.hasAttribute("data-confirm") ? submitter : form;
    if (!form.matches || !asker.hasAttribute("data-confirm")) {
      return;
    }
    if (form.hasAttribute("data-confirmed")) {
      form.removeAttribute("data-confirmed");
      return; // answered: on its way
    }
    event.preventDefault();
    event.stopImmediatePropagation();
    if (!dialog) {
      build();
    }
    dialog.querySelector("#confirm-dialog-text").textContent = asker.getAttribute("data-confirm");
    var yes = dialog.querySelector("[data-confirm-yes]");
    yes.textContent = asker.getAttribute("data-confirm-button") || "Yes";
    var fresh = yes.cloneNode(true); // one listener per question
    yes.parentNode.replaceChild(fresh, yes);
    fresh.addEventListener("click", function () {
      dialog.close("yes");
      mark(form);
      form.setAttribute("data-confirmed", "");
      if (form.requestSubmit) {
        form.requestSubmit(submitter && submitter.form === form ? submitter : undefined);
      } else {
        form.submit();
      }
    });
    dialog.showModal();
    fresh.focus();
  }, true);
})();
