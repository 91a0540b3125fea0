// Atrium's few behaviours that htmx cannot express. No inline scripts anywhere (strict CSP).
(function () {
  "use strict";

  // Copy buttons: <button data-copy="text">. Says "Copied" briefly.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy]");
    if (!button) return;
    var text = button.getAttribute("data-copy");
    var done = function () {
      var label = button.textContent;
      button.textContent = "Copied";
      button.classList.add("is-copied");
      setTimeout(function () {
        button.textContent = label === "Copied" ? "Copy" : label;
        button.classList.remove("is-copied");
      }, 1500);
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done, done);
    } else {
      var area = document.createElement("textarea");
      area.value = text;
      area.setAttribute("readonly", "");
      area.className = "visually-hidden";
      document.body.appendChild(area);
      area.select();
      try { document.execCommand("copy"); } catch (e) { /* nothing more to try */ }
      document.body.removeChild(area);
      done();
    }
  });

  // Toasts: dismiss on click; success and info toasts leave by themselves.
  document.addEventListener("click", function (event) {
    var close = event.target.closest("[data-dismiss-toast]");
    if (close) close.closest(".toast").remove();
  });
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll(".toast--success, .toast--info").forEach(function (toast) {
      setTimeout(function () { toast.remove(); }, 8000);
    });
  });

  // Menus (<details class="menu">, and the organization home's filter menu): close on Escape or a
  // click elsewhere.
  document.addEventListener("click", function (event) {
    document.querySelectorAll("details.menu[open], details.filter-menu[open]").forEach(function (menu) {
      if (!menu.contains(event.target)) menu.removeAttribute("open");
    });
  });
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    var open = "details.menu[open], details.filter-menu[open]";
    if (window.matchMedia("(max-width: 767.98px)").matches) open += ", details.sidebar[open]";  // a menu there
    document.querySelectorAll(open).forEach(function (menu) {
      menu.removeAttribute("open");
      menu.querySelector("summary").focus();
    });
  });

  // New Workspace: suggest the ID from the name until the person edits the ID themselves.
  function suggestId(name) {
    var slug = name.normalize("NFKD").replace(/[\u0300-\u036f]/g, "").toLowerCase()
      .replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "").replace(/^[^a-z]+/, "");
    return slug.slice(0, 50).replace(/-+$/, "");
  }
  document.addEventListener("input", function (event) {
    var form = event.target.closest("[data-stepper-form]");
    if (!form) return;
    var idField = form.querySelector("[data-workspace-id]");
    var edited = form.querySelector("[data-workspace-id-edited]");
    if (!idField || !edited) return;
    if (event.target.matches("[data-workspace-name]")) {
      if (edited.value === "True") return;
      idField.value = suggestId(event.target.value);
      idField.dispatchEvent(new Event("input", { bubbles: true }));
    } else if (event.target === idField && event.isTrusted) {
      edited.value = idField.value ? "True" : "False";
    }
  });

  // New Workspace: keep the draft on the server as it is typed (action=save answers 204), so a reload
  // finds every entry even before Next. Failures are harmless: Next stores the same entries.
  var autosaveTimer = null;
  function autosave(form) {
    clearTimeout(autosaveTimer);
    autosaveTimer = setTimeout(function () {
      if (!document.body.contains(form)) return;
      var data = new FormData(form);
      data.set("action", "save");
      var token = form.querySelector("[name=csrfmiddlewaretoken]");
      fetch(form.getAttribute("action"), {
        method: "POST", body: data, credentials: "same-origin",
        headers: token ? { "X-CSRFToken": token.value } : {},
      }).catch(function () { /* offline or navigating away: Next will store the entries */ });
    }, 400);
  }
  ["input", "change"].forEach(function (type) {
    document.addEventListener(type, function (event) {
      var form = event.target.closest && event.target.closest("form[data-autosave]");
      if (form) autosave(form);
    });
  });

  // Busy buttons: only the button that sent its form shows the spinner (htmx marks the whole form).
  document.addEventListener("submit", function (event) {
    var button = event.submitter;
    if (button && button.classList.contains("btn")) button.classList.add("is-busy");
  });
  document.addEventListener("htmx:afterRequest", function () {
    document.querySelectorAll(".btn.is-busy").forEach(function (button) { button.classList.remove("is-busy"); });
  });

  // The organization's side navigation folds into a menu on small screens.
  document.addEventListener("DOMContentLoaded", function () {
    if (window.matchMedia("(max-width: 767.98px)").matches) {
      document.querySelectorAll("details.sidebar[open], details[data-fold-on-phone][open]").forEach(function (menu) {
        menu.removeAttribute("open");
      });
    }
  });

  // After a step is swapped in: focus the first field with an error, else the step's first field.
  document.addEventListener("htmx:afterSwap", function (event) {
    // Only whole-step swaps move focus; the live ID check must never steal it while typing.
    if (!event.detail.target || event.detail.target.id !== "stepper") return;
    var root = document.getElementById("stepper");
    if (!root) return;
    var target = root.querySelector("[aria-invalid='true'], .field--invalid input, .field--invalid select, .field--invalid textarea")
      || root.querySelector(".stepper-panel input:not([type=hidden]), .stepper-panel select, .stepper-panel textarea")
      || root.querySelector("#step-heading");
    if (target) {
      if (target.id === "step-heading") target.setAttribute("tabindex", "-1");
      target.focus();
    }
  });
})();

// --- Confirmation dialogs and htmx toasts (members, invitations) -------------------------------
(function () {
  "use strict";

  // <button data-confirm-dialog="id"> opens <dialog class="confirm" id="id"> (templates/includes/
  // confirm_dialog.html), which holds the real destructive form and a Cancel that closes it (a
  // "dialog" form method). Without JavaScript the button's own form posts.
  document.addEventListener("click", function (event) {
    var opener = event.target.closest("[data-confirm-dialog]");
    if (!opener) return;
    var dialog = document.getElementById(opener.getAttribute("data-confirm-dialog"));
    if (!dialog || typeof dialog.showModal !== "function") return;
    event.preventDefault();
    dialog.showModal();
  });

  // A toast asked for by an htmx response (HX-Trigger: {"atrium:toast": {"level", "message"}}).
  document.addEventListener("atrium:toast", function (event) {
    var region = document.getElementById("toasts");
    var detail = event.detail || {};
    if (!region || !detail.message) return;
    var level = ["success", "error", "info"].indexOf(detail.level) >= 0 ? detail.level : "info";
    var toast = document.createElement("div");
    toast.className = "toast toast--" + level;
    toast.setAttribute("role", "status");
    var text = document.createElement("span");
    text.textContent = detail.message;
    var close = document.createElement("button");
    close.type = "button";
    close.className = "toast__close";
    close.setAttribute("data-dismiss-toast", "");
    close.setAttribute("aria-label", "Dismiss");
    close.textContent = "×";
    toast.appendChild(text);
    toast.appendChild(close);
    region.appendChild(toast);
    if (level !== "error") setTimeout(function () { toast.remove(); }, 8000);
  });
})();
// --- end: confirmation dialogs and htmx toasts -------------------------------------------------

// --- Closing the confirmation dialog after its answer ------------------------------------------
(function () {
  "use strict";

  // A successful removal reloads the page (HX-Refresh); a refusal answers with the row and its
  // reason: close the dialog the swap left open, which gives focus back to its opener.
  document.addEventListener("htmx:afterRequest", function (event) {
    var dialog = event.detail.elt && event.detail.elt.closest && event.detail.elt.closest("dialog.confirm");
    if (dialog && dialog.open && dialog.isConnected) dialog.close();
  });
})();
// --- end: closing the confirmation dialog ----------------------------------------------------

// --- Keyboard: "/" to search, row menus -----------------------------------------------------------
(function () {
  "use strict";

  function typing(element) {
    return element && (element.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(element.tagName));
  }

  // "/" focuses the page's search field (the list's toolbar first), as in GitHub, Linear and Sentry.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
    if (document.querySelector("dialog[open]")) return;
    var search = document.querySelector("[data-search-shortcut]") || document.querySelector("input[type=search]");
    if (!search) return;
    var fold = search.closest("details:not([open])");  // the audit filters, folded on a phone
    if (fold) fold.setAttribute("open", "");
    if (search.offsetParent === null) return;
    event.preventDefault();
    search.focus();
    search.select();
  });

  // A row menu opened from the keyboard puts focus on its first action; choosing an action that
  // opens a confirmation closes the menu behind it.
  document.addEventListener("toggle", function (event) {
    var menu = event.target;
    if (!menu.matches || !menu.matches("details.row-menu") || !menu.open) return;
    if (document.activeElement !== menu.querySelector("summary")) return;
    var first = menu.querySelector(".menu__panel button, .menu__panel a");
    if (first && menu.matches(":focus-within") && menu.dataset.keyboard === "true") first.focus();
  }, true);
  document.addEventListener("keydown", function (event) {
    var summary = event.target.closest && event.target.closest("details.row-menu > summary");
    if (summary && (event.key === "Enter" || event.key === " ")) summary.parentElement.dataset.keyboard = "true";
  });
  document.addEventListener("pointerdown", function (event) {
    var menu = event.target.closest && event.target.closest("details.row-menu");
    if (menu) menu.dataset.keyboard = "false";
  });
  document.addEventListener("click", function (event) {
    var action = event.target.closest("details.menu [data-confirm-dialog]");
    if (action) action.closest("details.menu").removeAttribute("open");
  });
})();
// --- end: keyboard ------------------------------------------------------------------------------
