/* Block Diary's service worker, served as /sw.js (diary/web/views/pwa.py) so that it may look
   after the whole site. Registered by static/js/outbox.js on the patient's pages.

   - The app shell is kept for use with no network: the entry form (/diary/), the history
     (/diary/history), the style sheet, the outbox script and the icons. Pages and files are
     fetched from the network first (the pages are no-store for the browser's own cache, but
     a copy is kept here); with no network, no answer in time or a server error, the kept
     copy is shown, and a page never kept gets a short "No connection" page.
   - A kept copy of the entry form gets a new client UUID and its time moved on each time it
     is shown, so two entries typed offline are never the same entry. Its CSRF token may be
     stale: an entry that cannot be posted goes through the outbox, which does not need it.
   - Pages with a one-off message, and everything once the diary answers "signed out", are
     not kept; outbox.js drops the kept pages at sign-out too.
   - Reminders (Web Push): the payload is JSON {"title", "body", "url"}; tapping the
     notification opens or focuses that page of the diary.
   Entries are sent by outbox.js in the pages, not from here. */
"use strict";

const VERSION = "1";
const PAGES = "block-diary-pages-" + VERSION;
const SHELL = "block-diary-shell-" + VERSION;
const SHELL_PAGES = ["/diary/", "/diary/history"];
const SHELL_FILES = [
  "/static/css/diary.css", "/static/js/outbox.js", "/static/icon.svg",
  "/static/icons/icon-192.png", "/static/icons/icon-512.png",
  "/static/icons/maskable-512.png", "/static/icons/apple-touch-icon-180.png",
];
const PAGE_WAIT_MS = 8000;   // a slow network: show the kept copy after this long
const FILE_WAIT_MS = 4000;
const KEPT_AT = "X-Block-Diary-Kept-At";
const ONE_OFF = /class="(?:flash|alert)"|data-fresh-sign-in="1"/;
const HOME = "/diary/";

function uuid() {
  if (self.crypto.randomUUID) {
    return self.crypto.randomUUID();
  }
  const b = self.crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 15) | 64;
  b[8] = (b[8] & 63) | 128;
  const h = Array.from(b, (x) => (x + 256).toString(16).slice(1)).join("");
  return [h.slice(0, 8), h.slice(8, 12), h.slice(12, 16), h.slice(16, 20), h.slice(20)].join("-");
}

async function keepPage(url, response) {
  const type = response.headers.get("Content-Type") || "";
  if (!response.ok || response.type !== "basic" || response.redirected ||
      !type.startsWith("text/html")) {
    return;
  }
  const html = await response.text();
  if (ONE_OFF.test(html)) {
    return;  // a message for that moment only, or a form given back filled in
  }
  const headers = new Headers(response.headers);
  ["Content-Encoding", "Content-Length"].forEach((name) => headers.delete(name));
  headers.set(KEPT_AT, String(Date.now()));
  const cache = await caches.open(PAGES);
  await cache.put(url, new Response(html, {headers}));
}

async function keepFile(url, response) {
  if (response.ok && response.type === "basic") {
    const cache = await caches.open(SHELL);
    await cache.put(url, response);
  }
}

function later(local, ms) {
  // "YYYY-MM-DDTHH:MM" moved on by ms, as wall-clock arithmetic.
  const t = Date.parse(local + ":00Z");
  return isNaN(t) ? local : new Date(t + ms).toISOString().slice(0, 16);
}

async function keptPage(url) {
  const cache = await caches.open(PAGES);
  const copy = await cache.match(url, {ignoreVary: true});
  if (!copy) {
    return null;
  }
  const age = Math.max(0, Date.now() - Number(copy.headers.get(KEPT_AT) || Date.now()));
  const html = (await copy.text())
    .replace(/(<input[^>]*\bname="client_id"[^>]*\bvalue=")[^"]*"/, (m, head) => head + uuid() + '"')
    .replace(/(<input[^>]*\bname="observed_at"[^>]*\bvalue=")([^"]*)"/,
             (m, head, value) => head + later(value, age) + '"');
  return new Response(html, {headers: copy.headers});
}

function offlinePage() {
  const html = '<!doctype html><html lang="en"><head><meta charset="utf-8">' +
    '<meta name="viewport" content="width=device-width, initial-scale=1">' +
    "<title>No connection · Block Diary</title>" +
    '<link rel="stylesheet" href="/static/css/diary.css"></head><body><main id="main">' +
    "<h1>No connection</h1><p>This page needs the internet. The entry form works without " +
    'it: what you save there is kept on your phone until it can be sent.</p>' +
    '<p><a class="button big" href="' + HOME + '">New entry</a></p></main></body></html>';
  return new Response(html, {headers: {
    "Content-Type": "text/html; charset=utf-8",
    "Content-Security-Policy": "default-src 'self'; object-src 'none'; base-uri 'none'"}});
}

function patiently(answer, fallback, ms) {
  // The network's answer; a kept copy instead if there is none, or none within ms.
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => fallback().then((kept) => kept && resolve(kept)), ms);
    answer.then((response) => {
      clearTimeout(timer);
      resolve(response);
    }, (err) => {
      clearTimeout(timer);
      fallback().then((kept) => (kept ? resolve(kept) : reject(err)), reject);
    });
  });
}

function page(event, url) {
  const shell = SHELL_PAGES.includes(url.pathname) && !url.search;
  const answer = fetch(event.request).then((response) => {
    if (shell && (response.type === "opaqueredirect" || response.status === 404)) {
      // Sent to sign in (or not a patient's page): nothing of the diary stays on the phone.
      event.waitUntil(caches.delete(PAGES));
    } else if (shell) {
      event.waitUntil(keepPage(url.pathname, response.clone()));
    }
    return response;
  });
  event.waitUntil(answer.catch(() => null));  // the copy is kept even after a slow answer
  if (!shell) {
    return answer.catch(offlinePage);
  }
  // A server error is no use to someone with a reading to record: the kept form is.
  const usable = answer.then((response) => (response.status >= 500
    ? keptPage(url.pathname).then((kept) => kept || response) : response));
  return patiently(usable, () => keptPage(url.pathname), PAGE_WAIT_MS).catch(offlinePage);
}

function file(event, url) {
  const answer = fetch(event.request).then((response) => {
    event.waitUntil(keepFile(url.pathname, response.clone()));
    return response;
  });
  event.waitUntil(answer.catch(() => null));
  return patiently(answer, () => caches.match(url.pathname, {cacheName: SHELL}), FILE_WAIT_MS);
}

self.addEventListener("install", (event) => {
  const files = SHELL_FILES.map((url) =>
    fetch(url, {cache: "no-cache"}).then((r) => keepFile(url, r)).catch(() => null));
  const pages = SHELL_PAGES.map((url) =>
    fetch(url, {credentials: "same-origin"}).then((r) => keepPage(url, r)).catch(() => null));
  event.waitUntil(Promise.all(files.concat(pages)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(caches.keys().then((keys) => Promise.all(keys
    .filter((key) => key.startsWith("block-diary-") && key !== PAGES && key !== SHELL)
    .map((key) => caches.delete(key)))).then(() => self.clients.claim()));
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) {
    return;
  }
  if (request.mode === "navigate" && url.pathname.startsWith("/diary/")) {
    event.respondWith(page(event, url));
  } else if (url.pathname.startsWith("/static/")) {
    event.respondWith(file(event, url));
  }
});

function ourPage(address) {
  // Only a page of this site is ever opened from a notification.
  try {
    const url = new URL(address || HOME, self.location.origin);
    return url.origin === self.location.origin ? url.href : new URL(HOME, self.location.origin).href;
  } catch (err) {
    return new URL(HOME, self.location.origin).href;
  }
}

self.addEventListener("push", (event) => {
  let message = {};
  try {
    message = event.data ? event.data.json() : {};
  } catch (err) {
    message = {};
  }
  event.waitUntil(self.registration.showNotification(message.title || "Block Diary reading", {
    body: message.body || "",
    icon: "/static/icons/icon-192.png",
    tag: message.tag || "block-diary-reading",
    data: {url: ourPage(message.url)},
  }));
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const target = ourPage(event.notification.data && event.notification.data.url);
  event.waitUntil(self.clients.matchAll({type: "window", includeUncontrolled: true})
    .then((windows) => {
      const same = windows.find((w) => w.url === target);
      if (same) {
        return same.focus();
      }
      const ours = windows.find((w) => w.url.startsWith(self.location.origin) && "navigate" in w);
      if (ours) {
        return ours.focus().then((w) => (w || ours).navigate(target))
          .catch(() => self.clients.openWindow(target));
      }
      return self.clients.openWindow(target);
    }));
});
