/* Block Diary's outbox: an entry that cannot reach the server is kept on this phone and sent
   later, so nothing typed on a bad day is lost. Loaded with defer on every patient page
   (templates/patient/_pwa_head.html); it also registers the service worker (/sw.js).

   - Save on the new-entry form posts the form with fetch. The server's usual answers are
     shown as a plain post shows them: a saved entry goes on to the history with its message;
     a form with questions marked is posted again by the browser itself. With no network, no
     answer in 15 s, a server error, or a sign-in or form token that has expired (400, 401,
     sent to sign in), the entry is kept in IndexedDB ("block-diary") under its client UUID.
   - Kept entries go to POST /api/v1/entries with the phone's device token and no cookie: on
     page load, when back online, when the page is shown again, and from "Send now". 201 or
     200: sent (the UUID makes a resend harmless). 422: the entry comes back into the form with
     the server's messages and stays kept until it is saved or discarded. 401: kept, "please
     sign in again". 409: kept, with a plain message. Anything else: tried again later.
   - The device token is asked for (POST {} to <body data-device-token-url>, with the page's
     CSRF token) after each sign-in (data-fresh-sign-in) and whenever this phone has none for
     the person signed in (data-user); one per person.
   Without JavaScript (or IndexedDB) none of this runs and the form posts as it always has. */
(() => {
  "use strict";

  const API = "/api/v1/entries";
  const ENTRIES = "outbox";   // kept entries, by client_id; state waiting|signin|check|refused|conflict|closed
  const TOKENS = "tokens";    // {user, token}: each person's device token on this phone
  const SENT = "sent";        // client_ids sent lately: a form filled with one again is known
  const SENDING = ["waiting", "signin", "check"];  // the states a flush sends
  const WAIT_MS = 15000;
  const SENT_KEPT_MS = 30 * 86400000;
  const FLASH_KEY = "block-diary-flash";
  const script = document.currentScript;
  if (!window.indexedDB || !window.fetch) {
    return;
  }

  // --- IndexedDB --------------------------------------------------------------------------
  let opened = null;
  const database = () => opened || (opened = new Promise((resolve, reject) => {
    const request = indexedDB.open("block-diary", 1);
    request.onupgradeneeded = () => {
      const db = request.result;
      db.createObjectStore(ENTRIES, {keyPath: "client_id"});
      db.createObjectStore(TOKENS, {keyPath: "user"});
      db.createObjectStore(SENT, {keyPath: "client_id"});
    };
    request.onsuccess = () => {
      request.result.onversionchange = () => request.result.close();
      resolve(request.result);
    };
    request.onerror = () => {
      opened = null;
      reject(request.error);
    };
  }));
  const inStore = (name, mode, work) => database().then((db) => new Promise((resolve, reject) => {
    const tx = db.transaction(name, mode);
    const request = work(tx.objectStore(name));
    tx.oncomplete = () => resolve(request.result);
    tx.onerror = tx.onabort = () => reject(tx.error);
  }));
  const get = (name, key) => inStore(name, "readonly", (s) => s.get(key));
  const all = (name) => inStore(name, "readonly", (s) => s.getAll());
  const put = (name, value) => inStore(name, "readwrite", (s) => s.put(value));
  const drop = (name, key) => inStore(name, "readwrite", (s) => s.delete(key));
  const inState = async (state) => (await all(ENTRIES)).filter((e) => e.state === state);

  // --- sending ----------------------------------------------------------------------------
  function timed(url, options) {
    const stop = new AbortController();
    const timer = setTimeout(() => stop.abort(), WAIT_MS);
    return fetch(url, {...options, signal: stop.signal}).finally(() => clearTimeout(timer));
  }

  function uuid() {
    if (crypto.randomUUID) {
      return crypto.randomUUID();
    }
    const b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 15) | 64;
    b[8] = (b[8] & 63) | 128;
    const h = Array.from(b, (x) => (x + 256).toString(16).slice(1)).join("");
    return [h.slice(0, 8), h.slice(8, 12), h.slice(12, 16), h.slice(16, 20), h.slice(20)].join("-");
  }

  async function setState(entry, state) {
    entry.state = state;
    await put(ENTRIES, entry);
    return state;
  }

  async function sendOne(entry) {
    const saved = await get(TOKENS, entry.user);
    if (!saved) {
      return setState(entry, "signin");
    }
    let response;
    try {
      response = await timed(API, {
        method: "POST", credentials: "omit", cache: "no-store", body: JSON.stringify(entry.fields),
        headers: {"Authorization": "Bearer " + saved.token, "Content-Type": "application/json",
                  "Accept": "application/json"}});
    } catch (err) {
      return "retry";
    }
    const status = response.status;
    if (status === 201 || status === 200) {
      await put(SENT, {client_id: entry.client_id, at: Date.now()});
      await drop(ENTRIES, entry.client_id);
      return "sent";
    }
    if (status === 422) {
      const problem = await response.json().catch(() => ({}));
      entry.errors = problem.errors || {};
      entry.warnings = problem.warnings || {};
      return setState(entry, "refused");
    }
    if (status === 410) {  // the clinic closed the diary: sending again would not help
      const problem = await response.json().catch(() => ({}));
      entry.closed = problem.detail || "Your diary with the clinic is closed.";
      return setState(entry, "closed");
    }
    if (status === 401) {
      const now = await get(TOKENS, entry.user);
      if (now && now.token === saved.token) {
        await drop(TOKENS, entry.user);  // refused for good: the next sign-in brings another
      }
      return setState(entry, "signin");
    }
    return status === 409 ? setState(entry, "conflict") : "retry";
  }

  async function flushAll() {
    const tally = {sent: 0, retry: 0, signin: 0, refused: 0, conflict: 0, closed: 0};
    for (const entry of await all(ENTRIES)) {
      if (SENDING.includes(entry.state)) {
        tally[await sendOne(entry)] += 1;
        if (tally.retry) {
          break;  // no network, or the server is unwell: the rest wait too
        }
      }
    }
    for (const old of await all(SENT)) {
      if (old.at < Date.now() - SENT_KEPT_MS) {
        await drop(SENT, old.client_id);
      }
    }
    return tally;
  }

  // One flush at a time in this page, and across the pages where the browser can lock.
  let flushing = null;
  const flush = () => flushing || (flushing = (navigator.locks
    ? navigator.locks.request("block-diary-outbox", flushAll) : flushAll())
    .finally(() => { flushing = null; }));

  // --- the device token -------------------------------------------------------------------
  const body = document.body;
  const user = body.getAttribute("data-user") || "";
  let freshSignIn = body.getAttribute("data-fresh-sign-in") === "1";
  const csrfToken = () => (document.querySelector('input[name="csrf_token"]') || {}).value;

  let asking = null;
  const ensureToken = () => asking || (asking = askForToken().finally(() => { asking = null; }));

  async function askForToken() {
    const url = body.getAttribute("data-device-token-url");
    if (!user || !url || !navigator.onLine || !csrfToken() ||
        (!freshSignIn && await get(TOKENS, user))) {
      return;
    }
    const response = await timed(url, {
      method: "POST", credentials: "same-origin", redirect: "manual", body: "{}",
      headers: {"Content-Type": "application/json", "X-CSRFToken": csrfToken(),
                "Accept": "application/json"}});
    const answer = response.status === 201 ? await response.json() : {};
    if (answer.token) {
      await put(TOKENS, {user: user, token: answer.token, at: Date.now()});
      freshSignIn = false;
    }
  }

  // --- the page ---------------------------------------------------------------------------
  const box = document.getElementById("outbox");
  const form = box && document.querySelector("form.entry");
  const MARKS = "main > .alert, #client_id-error, form.entry .error, form.entry .warning";
  let marked = !!document.querySelector(MARKS);  // the form shows the server's messages
  const madeNow = !marked;  // so its time is the time the page was made
  const loadedAt = Date.now();
  let note = null;          // what just happened: kept, sent, retry, already, discarded
  let sentNow = 0;          // how many the last flush sent
  let showing = null;       // the client_id of a kept entry that is in the form now
  let touched = false;      // typed into since the page was shown
  let busy = false;
  let retryTimer = null;
  let retryDelay = WAIT_MS;

  const words = (n, one, many) => n + " " + (n === 1 ? one : many);
  const isMulti = (name) =>
    form.querySelectorAll('input[type="checkbox"][name="' + name + '"]').length > 1;

  function para(cls, text, id) {
    const p = document.createElement("p");
    p.className = cls;
    p.textContent = text;
    if (id) {
      p.id = id;
    }
    return p;
  }

  function nowLocal() {
    // The form's time was "now" in the patient's zone when the page was made (the service
    // worker moves it on in a kept copy): wall-clock arithmetic from there.
    const t = Date.parse(form.elements.observed_at.defaultValue + ":00Z");
    if (!madeNow || isNaN(t)) {
      const d = new Date();
      return new Date(d.getTime() - d.getTimezoneOffset() * 60000).toISOString().slice(0, 16);
    }
    return new Date(t + Date.now() - loadedAt).toISOString().slice(0, 16);
  }

  function collect() {
    // The fields as the form posts them: strings, arrays for the multiple-choice ones.
    const fields = {};
    new FormData(form).forEach((value, name) => {
      if (name !== "csrf_token") {
        fields[name] = isMulti(name) ? (fields[name] || []).concat(value) : value;
      }
    });
    return fields;
  }

  function fill(fields) {
    for (const el of form.elements) {
      if (el.name && el.name !== "csrf_token" && el.tagName !== "BUTTON") {
        const values = [].concat(fields[el.name] === undefined ? [] : fields[el.name]);
        if (el.type === "radio" || el.type === "checkbox") {
          el.checked = values.includes(el.value);
        } else {
          el.value = values.length ? values[0] : "";
        }
      }
    }
  }

  function unmark() {
    document.querySelectorAll(MARKS).forEach((el) => el.remove());
    form.querySelectorAll(".has-error").forEach((el) => el.classList.remove("has-error"));
    form.querySelectorAll("[aria-invalid]").forEach((el) => el.removeAttribute("aria-invalid"));
    if (form.elements.confirm_unusual) {
      form.elements.confirm_unusual.closest(".field").remove();
    }
    marked = false;
  }

  function blank() {
    // A fresh form for the next entry, under a new client UUID; the thermometer's unit stays.
    const unit = form.querySelector('input[name="temp_unit"]:checked');
    const fields = {client_id: uuid(), observed_at: nowLocal()};
    if (unit) {
      fields.temp_unit = unit.value;
    }
    unmark();
    fill(fields);
    showing = null;
    touched = false;
  }

  function markField(name, messages) {
    // The server's message at its question, as the form's own macros place it.
    const found = form.elements[name];
    const el = found && !found.tagName ? found[0] : found;
    if (!el || el.type === "hidden") {
      return false;
    }
    const field = el.closest(".field");
    const anchor = Array.from(field.children).find((c) => c.contains(el));
    const after = el.type === "checkbox" && !isMulti(name);
    for (const text of messages) {
      const p = para("error", text, name + "-error");
      if (after) {
        anchor.after(p);
      } else {
        field.insertBefore(p, anchor);
      }
    }
    field.classList.add("has-error");
    if (el.type !== "radio" && el.type !== "checkbox") {
      el.setAttribute("aria-invalid", "true");
      el.setAttribute("aria-describedby", name + "-error");
    }
    return true;
  }

  function show(entry) {
    // A kept entry the diary refused, back in the form with the diary's messages.
    unmark();
    fill(entry.fields);
    const errors = entry.errors || {};
    const warnings = entry.warnings || {};
    const elsewhere = [];
    for (const name of Object.keys(errors)) {
      if (!markField(name, [].concat(errors[name]))) {
        elsewhere.push(...[].concat(errors[name]));
      }
    }
    const temps = form.elements.temp_treated.closest("fieldset");
    for (const name of Object.keys(warnings)) {
      const label = form.querySelector('label[for="' + name + '"]');
      temps.append(para("warning", (label ? label.textContent + ": " : "") +
                                   [].concat(warnings[name]).join(" ")));
    }
    const confirm = document.getElementById("outbox-confirm");
    if (Object.keys(warnings).length && confirm && !form.elements.confirm_unusual) {
      temps.append(confirm.content.cloneNode(true));
    }
    const alert = para("alert", Object.keys(errors).length
      ? "Please look at the marked questions below. What you typed is kept."
      : "Please check the reading marked below, then tick the box to save it.");
    alert.setAttribute("role", "alert");
    elsewhere.forEach((text) => alert.append(" " + text));
    box.before(alert);
    showing = entry.client_id;
    marked = true;
    touched = false;
  }

  function carryFlashes(html) {
    const doc = new DOMParser().parseFromString(html, "text/html");
    try {
      sessionStorage.setItem(FLASH_KEY, JSON.stringify(
        Array.from(doc.querySelectorAll("main .flash"), (p) => p.textContent)));
    } catch (err) { /* the page still goes on; only its message is missed */ }
  }

  function showCarried() {
    // The messages of a page that fetch had already opened, where base.html puts them.
    let texts = [];
    try {
      texts = JSON.parse(sessionStorage.getItem(FLASH_KEY) || "[]");
      sessionStorage.removeItem(FLASH_KEY);
    } catch (err) { /* none then */ }
    const main = document.getElementById("main");
    if (main && texts.length && !main.querySelector(".flash")) {
      const ribbon = main.querySelector(".demo-ribbon");
      for (const text of texts) {
        const p = para("flash", text);
        p.setAttribute("role", "status");
        main.insertBefore(p, ribbon ? ribbon.nextSibling : main.firstChild);
      }
    }
  }

  async function render() {
    if (!box) {
      return;
    }
    const entries = await all(ENTRIES);
    const waiting = entries.filter((e) => SENDING.includes(e.state));
    const refused = entries.filter((e) => e.state === "refused");
    const conflict = entries.filter((e) => e.state === "conflict" || e.state === "closed");
    const closed = entries.filter((e) => e.state === "closed");
    const signin = waiting.filter((e) => e.state === "signin");
    const n = waiting.length;
    const count = " (" + n + "\u00a0waiting)";
    const lines = [];
    if (note === "sent") {
      lines.push(["flash", "Sent: " + (sentNow === 1 ? "the entry saved on this phone is"
        : "the " + sentNow + " entries saved on this phone are") + " now in your diary." +
        (n ? count : "")]);
    } else if (note === "retry" && n) {
      lines.push(["flash", "The diary could not be reached. Your " +
        words(n, "entry stays", "entries stay") + " on this phone and will be sent later" + count + "."]);
    } else if (note === "already") {
      lines.push(["flash", "That entry was already sent from this phone: it is in your diary."]);
    } else if (note === "discarded") {
      lines.push(["flash", "The entry saved on this phone is discarded."]);
    }
    if (n > signin.length && note !== "sent" && note !== "retry") {
      lines.push(["flash", "Saved on this phone — " + (n === 1 ? "it" : "they") +
        " will be sent when you are back online" + count + "."]);
    }
    if (signin.length) {
      lines.push(["alert", "Please sign in again to send " +
        words(signin.length, "waiting entry", "waiting entries") + ".", "signin"]);
    }
    if (refused.some((e) => e.client_id === showing)) {
      lines.push(["warning", "The diary could not take an entry saved on this phone. It is in " +
        "the form below until you save it or discard it."]);
    } else if (refused.length) {
      lines.push(["alert", "The diary could not take " + words(refused.length, "entry", "entries") +
        " saved on this phone: please look at it, change what is marked, and save it again."]);
    }
    if (closed.length) {
      lines.push(["alert", closed[0].closed + " " + (closed.length === 1 ? "An entry" :
        closed.length + " entries") + " saved on this phone could not be sent: you can " +
        "discard " + (closed.length === 1 ? "it" : "them") + "."]);
    }
    if (conflict.length > closed.length) {
      lines.push(["alert", "An entry saved on this phone was not sent: your diary already has " +
        "an entry from the same form with other answers. Please look at your history, then " +
        "discard the copy on this phone."]);
    }
    const status = document.getElementById("outbox-status");
    const text = lines.map((line) => line[1]).join("\n");
    if (status.getAttribute("data-text") !== text) {  // unchanged: not read out again
      status.setAttribute("data-text", text);
      status.replaceChildren(...lines.flatMap(([cls, said, signIn]) => {
        if (!signIn) {
          return [para(cls, said)];
        }
        const link = document.createElement("a");
        link.className = "button big";
        link.href = box.getAttribute("data-sign-in");
        link.textContent = "Sign in again";
        const p = document.createElement("p");
        p.append(link);
        return [para(cls, said), p];
      }));
    }
    // `hidden` goes on the buttons' paragraphs: .button sets its own display.
    document.getElementById("outbox-send").hidden = n === signin.length;
    document.getElementById("outbox-show").hidden = !refused.length || !!showing;
    document.getElementById("outbox-discard").hidden = !showing && !conflict.length;
  }

  async function checkForm() {
    // The form may hold an entry this phone knows: one kept here, or one sent already (the
    // server gives back what was typed before a sign-in). A form nobody has typed into yet
    // takes back a kept entry the diary refused.
    if (!form || touched) {
      return;
    }
    const id = form.elements.client_id.value;
    const mine = await get(ENTRIES, id);
    if (mine) {
      if (mine.state === "refused" && !marked) {
        show(mine);
      } else if (marked || mine.state === "refused") {
        showing = id;
      }
    } else if (!marked && await get(SENT, id)) {
      document.querySelectorAll("main > .flash").forEach((el) => el.remove());
      blank();
      note = "already";
    } else if (!marked) {
      const [refused] = await inState("refused");
      if (refused) {
        show(refused);
      }
    }
  }

  function retryLater(tally) {
    clearTimeout(retryTimer);
    if (tally && tally.retry && navigator.onLine) {
      retryTimer = setTimeout(sendAndShow, retryDelay);
      retryDelay = Math.min(retryDelay * 2, 300000);
    } else {
      retryDelay = WAIT_MS;
    }
  }

  async function sendAndShow(asked) {
    let tally = null;
    try {
      await ensureToken();
    } catch (err) { /* no token yet: the entries wait */ }
    try {
      tally = await flush();
    } catch (err) { /* storage refused: nothing was sent, nothing is lost */ }
    if (tally && tally.sent) {
      note = "sent";
      sentNow = tally.sent;
    } else if (asked === true) {
      note = tally && tally.retry ? "retry" : null;
    }
    retryLater(tally);
    await checkForm();
    await render();
    return tally;
  }

  async function keep(fields) {
    // Throws only if the phone will not store it: then the form posts as it always did.
    await put(ENTRIES, {client_id: fields.client_id, user: user, fields: fields,
                        observed_at: fields.observed_at, queued_at: new Date().toISOString(),
                        state: "waiting"});
    try {
      blank();
      note = "kept";
      await render();
      box.scrollIntoView({block: "center"});
      if (navigator.onLine) {
        await sendAndShow();  // refused only for the session? The device token may do.
      }
    } catch (err) { /* kept: the next flush sends it */ }
  }

  async function freshCsrfToken() {
    // The form's CSRF token was refused while the sign-in holds: a fresh page has a new one
    // (and takes back the copy of the entry the server kept, which is kept here instead).
    try {
      const response = await fetch(location.pathname, {credentials: "same-origin",
                                                       redirect: "manual"});
      const doc = new DOMParser().parseFromString(response.ok ? await response.text() : "",
                                                  "text/html");
      const fresh = doc.querySelector('input[name="csrf_token"]');
      if (fresh) {
        document.querySelectorAll('input[name="csrf_token"]').forEach((el) => {
          el.value = fresh.value;
        });
      }
    } catch (err) { /* the next Save is kept too */ }
  }

  const postAsUsual = () => HTMLFormElement.prototype.submit.call(form);

  async function onSubmit(event) {
    event.preventDefault();
    if (busy) {
      return;
    }
    busy = true;
    const fields = collect();
    const button = form.querySelector('button[type="submit"]');
    button.setAttribute("aria-busy", "true");
    try {
      let answer = null;
      if (navigator.onLine) {
        answer = await timed(form.action, {
          method: "POST", credentials: "same-origin", headers: {"Accept": "text/html"},
          body: new URLSearchParams(new FormData(form))}).catch(() => null);
      }
      const signIn = new URL(box.getAttribute("data-sign-in"), location.href).pathname;
      if (!answer || answer.status >= 500 || answer.status === 400 || answer.status === 401 ||
          (answer.redirected && new URL(answer.url).pathname === signIn)) {
        if (answer && answer.status === 400) {
          await freshCsrfToken();
        }
        busy = false;
        await keep(fields);
      } else if (answer.redirected) {
        // Saved: on to the history, with the message the server had for it.
        await drop(ENTRIES, fields.client_id).catch(() => null);
        await put(SENT, {client_id: fields.client_id, at: Date.now()}).catch(() => null);
        carryFlashes(await answer.text());
        location.assign(answer.url);
      } else {
        // The server has something to say about the form (a question to answer, a reading
        // to confirm): the browser posts it itself, and the page shows it as it always has.
        const mine = await get(ENTRIES, fields.client_id).catch(() => null);
        if (mine) {
          mine.fields = fields;
          await setState(mine, "check");  // the next flush learns whether it was saved
        }
        postAsUsual();
      }
    } catch (err) {
      busy = false;
      postAsUsual();  // the phone would not keep it: post as the form always did
    } finally {
      button.removeAttribute("aria-busy");
    }
  }

  async function discard() {
    const [conflict] = [...await inState("conflict"), ...await inState("closed")];
    const id = showing || (conflict && conflict.client_id);
    if (!id || !window.confirm("Discard this entry? It is not in your diary.")) {
      return;
    }
    await drop(ENTRIES, id);
    if (showing === id) {
      blank();
    }
    note = "discarded";
    await render();
  }

  async function showKept() {
    const [refused] = await inState("refused");
    if (refused) {
      show(refused);
      note = null;
      await render();
      box.scrollIntoView({block: "start"});
    }
  }

  async function signingOut(event) {
    // Nothing of the diary stays behind for the next person: the pages kept for use offline,
    // and this person's device token unless entries of theirs still wait for it.
    const action = event.target.getAttribute("action") || "";
    if (!/\/sign-out(-everywhere)?$/.test(action)) {
      return;
    }
    event.preventDefault();
    const tidy = (async () => {
      if (window.caches) {
        for (const key of await caches.keys()) {
          if (key.startsWith("block-diary-pages")) {
            await caches.delete(key);
          }
        }
      }
      if (user && !(await all(ENTRIES)).some((e) => e.user === user)) {
        await drop(TOKENS, user);
      }
    })();
    await Promise.race([tidy.catch(() => null), new Promise((done) => setTimeout(done, 1000))]);
    HTMLFormElement.prototype.submit.call(event.target);
  }

  function start() {
    const worker = script && script.getAttribute("data-sw");
    if (worker && navigator.serviceWorker) {
      navigator.serviceWorker.register(worker, {scope: "/"}).catch(() => null);
    }
    showCarried();
    document.addEventListener("submit", signingOut);
    if (form) {
      form.addEventListener("submit", onSubmit);
      form.addEventListener("input", () => { touched = true; });
      form.addEventListener("change", () => { touched = true; });
      const button = (id) => document.querySelector("#" + id + " button");
      button("outbox-send").addEventListener("click", () => {
        note = null;
        sendAndShow(true);
      });
      button("outbox-show").addEventListener("click", showKept);
      button("outbox-discard").addEventListener("click", discard);
    }
    window.addEventListener("pageshow", (event) => {
      if (event.persisted) {
        busy = false;  // back on this page from the browser's memory after a Save
      }
    });
    window.addEventListener("online", () => sendAndShow());
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "visible") {
        sendAndShow();
      }
    });
    sendAndShow();
  }

  window.BlockDiaryOutbox = {flush: flush, send: sendAndShow};
  start();
})();
