// Offline use of the pages (service/web/offline.py; README, "Offline use").
// - Registers the service worker, which keeps copies of the pages to read offline; on such
//   a copy, shows when it was saved and disables the forms that cannot wait.
// - The outbox: a form marked data-outbox that is sent while the browser is offline (or
//   from an offline copy) is kept in IndexedDB with its idempotency key, and sent, in
//   order, when the connection is back. The server writes each key once
//   (service/web/idempotency.py), so sending again after a lost answer never duplicates.
//   What the server refuses stays, with its reason, until the user copies or discards it;
//   an ended session or an expired form is retried from the next page.
// - On the sign-in page (after signing out or an ended session), deletes the page copies.
(function () {
  "use strict";
  var root = document.getElementById("offline");
  if (!root) { return; }
  var PAGE_COPIES = "kinerja-pages";
  var RETRY_SECONDS = 30;

  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register(root.getAttribute("data-worker")).catch(function () {});
  }
  if (root.hasAttribute("data-signed-out")) {
    if (window.caches) { caches.delete(PAGE_COPIES); }
    return;
  }
  if (!window.indexedDB) { return; }

  var user = root.getAttribute("data-user");
  var loginPath = root.getAttribute("data-login");
  var texts = JSON.parse(document.getElementById("offline-texts").textContent);
  var panel = document.getElementById("outbox");
  var savedAt = document.body.getAttribute("data-offline-copy");  // set by the worker
  var isCopy = savedAt !== null;
  var sending = false;
  var sentSome = false;

  // --- IndexedDB: one store of items, in the order they were kept ---
  function database() {
    return new Promise(function (resolve, reject) {
      var opening = indexedDB.open("kinerja-outbox", 1);
      opening.onupgradeneeded = function () {
        opening.result.createObjectStore("items", { keyPath: "id", autoIncrement: true });
      };
      opening.onsuccess = function () { resolve(opening.result); };
      opening.onerror = function () { reject(opening.error); };
    });
  }

  async function inStore(mode, work) {
    var db = await database();
    return new Promise(function (resolve, reject) {
      var tx = db.transaction("items", mode);
      var request = work(tx.objectStore("items"));
      tx.oncomplete = function () { db.close(); resolve(request.result); };
      tx.onerror = tx.onabort = function () { db.close(); reject(tx.error); };
    });
  }

  async function myItems() {
    var all = await inStore("readonly", function (store) { return store.getAll(); });
    return all.filter(function (item) { return item.user === user; });
  }
  function save(item) { return inStore("readwrite", function (store) { return store.put(item); }); }
  function discard(id) { return inStore("readwrite", function (store) { return store.delete(id); }); }

  // --- texts ---
  function fill(text, values) {
    return text.replace(/\{(\w+)\}/g, function (whole, name) {
      return name in values ? values[name] : whole;
    });
  }

  function when(iso) {
    var lang = document.documentElement.lang || undefined;
    return new Date(iso).toLocaleString(lang, { dateStyle: "medium", timeStyle: "short" });
  }

  function newKey() {
    if (window.crypto && crypto.randomUUID) { return crypto.randomUUID(); }
    var bytes = crypto.getRandomValues(new Uint8Array(16));
    return Array.prototype.map.call(bytes, function (b) { return (b + 256).toString(16).slice(1); }).join("");
  }

  // --- keeping a form ---
  function describe(form) {
    var lines = [];
    Array.prototype.forEach.call(form.elements, function (field) {
      if (!field.name || !field.value || field.type === "hidden" || field.type === "submit") { return; }
      if ((field.type === "radio" || field.type === "checkbox") && !field.checked) { return; }
      var label = field.labels && field.labels.length ? field.labels[0].textContent.trim() : field.name;
      var value = field.tagName === "SELECT" ? field.options[field.selectedIndex].text : field.value;
      lines.push(label + ": " + value);
    });
    return lines.join("\n");
  }

  function titleOf(form) {
    var member = form.querySelector('select[name="employee_id"]');
    var name = member && member.value ? member.options[member.selectedIndex].text : "";
    return form.getAttribute("data-outbox") + (name ? ": " + name : "");
  }

  async function keep(form) {
    var keyField = form.querySelector('input[name="idempotency_key"]');
    if (isCopy) { keyField.value = newKey(); }  // a copy's key may have been used already
    var fields = [];
    new FormData(form).forEach(function (value, name) {
      if (typeof value === "string") { fields.push([name, value]); }
    });
    await save({
      user: user, action: form.action, fields: fields, title: titleOf(form),
      text: describe(form), keptAt: new Date().toISOString(), state: "waiting", reason: ""
    });
    form.reset();
    keyField.value = newKey();  // the next note from this page is another one
    await render();
    panel.focus();
  }

  // --- sending ---
  function freshToken(fields) {
    var field = document.querySelector('input[name="csrf_token"]');
    return fields.map(function (pair) {
      return pair[0] === "csrf_token" && field && !isCopy ? [pair[0], field.value] : pair;
    });
  }

  // What the server's answer means: null when saved, else the state and reason to keep.
  function outcome(response, html) {
    if (new URL(response.url).pathname === loginPath) { return { state: "retry", reason: texts.login }; }
    if (response.status === 400) { return { state: "retry", reason: texts.expired }; }
    if (response.status >= 500) { throw new Error("the server is unavailable"); }
    var page = new DOMParser().parseFromString(html, "text/html");
    var errors = page.querySelectorAll("#main .field-error");  // the form again, marked
    if (errors.length === 0) { errors = page.querySelectorAll("#main .message-error"); }
    if (response.ok && errors.length === 0) { return null; }
    if (errors.length === 0) {  // an error page: its title and explanation
      errors = page.querySelectorAll("#main .card > h1, #main .card > p:not(:last-child)");
    }
    var why = Array.prototype.map.call(errors, function (e) { return e.textContent.trim(); });
    return { state: "refused", reason: fill(texts.reason, { reason: why.join(" ") || response.status }) };
  }

  async function sendOne(item) {
    var response = await fetch(item.action, {
      method: "POST", body: new URLSearchParams(freshToken(item.fields)), credentials: "same-origin"
    });
    return outcome(response, await response.text());
  }

  // Send the waiting items in order; stop at the first that cannot go now (no network, no
  // session, expired form), go on past one the server refused.
  async function sendAll() {
    if (sending || !navigator.onLine) { return; }
    sending = true;
    try {
      var due = (await myItems()).filter(function (item) { return item.state !== "refused"; });
      for (var i = 0; i < due.length; i += 1) {
        var result = await sendOne(due[i]);
        if (result === null) {
          await discard(due[i].id);
          sentSome = true;
          continue;
        }
        due[i].state = result.state;
        due[i].reason = result.reason;
        await save(due[i]);
        if (result.state !== "refused") { break; }
      }
    } catch (error) {
      // no network or no server: everything stays and is tried again later
    } finally {
      sending = false;
      await render();
    }
  }

  // --- showing the outbox ---
  function button(label, action, id) {
    var b = document.createElement("button");
    b.type = "button";
    b.textContent = label;
    b.setAttribute("data-action", action);
    b.setAttribute("data-id", id);
    return b;
  }

  function row(item) {
    var li = document.createElement("li");
    var title = document.createElement("strong");
    title.textContent = fill(texts.item, { title: item.title, time: when(item.keptAt) });
    li.appendChild(title);
    if (item.reason) {
      var reason = document.createElement("p");
      reason.className = "outbox-reason";
      reason.textContent = item.reason;
      li.appendChild(reason);
    }
    var text = document.createElement("pre");
    text.textContent = item.text;
    li.appendChild(text);
    li.appendChild(button(texts.copy_button, "copy", item.id));
    if (item.state !== "waiting") { li.appendChild(button(texts.retry, "retry", item.id)); }
    li.appendChild(button(texts.discard, "discard", item.id));
    return li;
  }

  async function render() {
    var items = await myItems();
    var refused = items.filter(function (item) { return item.state === "refused"; }).length;
    var waiting = items.length - refused;
    var status = [];
    if (waiting) { status.push(fill(texts.waiting, { n: waiting })); }
    if (waiting && !navigator.onLine) { status.push(texts.offline); }
    if (refused) { status.push(fill(texts.refused, { n: refused })); }
    if (!items.length && sentSome) { status.push(texts.sent); }
    panel.querySelector(".outbox-status").textContent = status.join(" ");
    var list = panel.querySelector(".outbox-items");
    list.textContent = "";
    items.forEach(function (item) { list.appendChild(row(item)); });
    panel.hidden = status.length === 0;
  }

  panel.addEventListener("click", async function (event) {
    var action = event.target.getAttribute("data-action");
    if (!action) { return; }
    var id = Number(event.target.getAttribute("data-id"));
    var item = (await myItems()).filter(function (it) { return it.id === id; })[0];
    if (!item) { return; }
    if (action === "copy") {
      await navigator.clipboard.writeText(item.title + "\n" + item.text);
      event.target.textContent = texts.copied;
    } else if (action === "discard" && window.confirm(texts.confirm)) {
      await discard(id);
      await render();
    } else if (action === "retry") {
      item.state = "waiting";
      await save(item);
      await sendAll();
    }
  });

  // --- wiring ---
  document.querySelectorAll("form[data-outbox]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (isCopy || !navigator.onLine) {
        event.preventDefault();
        keep(form);
      }
    });
  });
  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) { return; }  // a page back from the history: its keys were sent
    document.querySelectorAll('form[data-outbox] input[name="idempotency_key"]').forEach(function (field) {
      field.value = newKey();
    });
  });
  if (isCopy) {
    var banner = document.getElementById("offline-banner");
    banner.textContent = fill(texts.copy, { time: when(savedAt) });
    banner.hidden = false;
    document.querySelectorAll("#main > .messages").forEach(function (old) { old.remove(); });
    document.querySelectorAll('form[method="post"]:not([data-outbox]) button').forEach(function (b) {
      b.disabled = true;
      b.title = texts.unavailable;
    });
  }
  window.addEventListener("online", sendAll);
  window.addEventListener("offline", render);
  window.setInterval(sendAll, RETRY_SECONDS * 1000);
  render().then(sendAll);
})();
