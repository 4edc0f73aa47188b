/* "Remind me on this phone" (templates/patient/_reminders.html): Web Push, opt-in.

   Nothing is asked until the patient taps the button: then the browser asks its permission,
   subscribes through the service worker (sw.js shows the notifications) with the app's VAPID
   key, and the subscription goes to the server (POST JSON, CSRF token in X-CSRFToken). "Stop"
   unsubscribes here and tells the server. Loaded with defer; no inline script (strict CSP). */
(function () {
  "use strict";

  var box = document.getElementById("push-reminders");
  if (!box) {
    return;
  }
  var status = box.querySelector("[data-push-status]");
  var on = box.querySelector("[data-push-on]");
  var off = box.querySelector("[data-push-off]");

  function say(text) {
    status.textContent = text;
  }

  function show(subscribed) {
    on.hidden = subscribed;
    off.hidden = !subscribed;
  }

  var supported = "serviceWorker" in navigator && "PushManager" in window &&
    "Notification" in window;
  if (!supported) {
    say("This browser cannot show reminders. Use the calendar file above instead " +
        "(on an iPhone, add Block Diary to your Home Screen first).");
    return;
  }

  function keyBytes(base64url) {
    var padded = base64url.replace(/-/g, "+").replace(/_/g, "/");
    padded += "===".slice((padded.length + 3) % 4);
    var raw = window.atob(padded);
    var out = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) {
      out[i] = raw.charCodeAt(i);
    }
    return out;
  }

  function worker() {
    // The app registers /sw.js on every patient page; register it here too if it has not yet.
    return navigator.serviceWorker.getRegistration("/").then(function (reg) {
      return reg || navigator.serviceWorker.register("/sw.js", { scope: "/" });
    }).then(function () {
      return navigator.serviceWorker.ready;
    });
  }

  function send(url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": box.dataset.csrf },
      body: JSON.stringify(body)
    }).then(function (response) {
      if (!response.ok) {
        throw new Error("server answered " + response.status);
      }
      return response;
    });
  }

  function turnOn() {
    on.querySelector("button").disabled = true;
    Notification.requestPermission().then(function (permission) {
      if (permission !== "granted") {
        throw new Error("permission " + permission);
      }
      return worker();
    }).then(function (reg) {
      return reg.pushManager.getSubscription().then(function (existing) {
        return existing || reg.pushManager.subscribe({
          userVisibleOnly: true,
          applicationServerKey: keyBytes(box.dataset.key)
        });
      });
    }).then(function (subscription) {
      return send(box.dataset.subscribe, subscription.toJSON());
    }).then(function () {
      show(true);
      say("Reminders are on for this phone.");
    }).catch(function (err) {
      show(false);
      if (Notification.permission === "denied") {
        say("Notifications are blocked for Block Diary. You can allow them in your " +
            "browser’s settings, or use the calendar file above.");
      } else {
        say("Reminders could not be turned on (" + err.message + "). Please try again, " +
            "or use the calendar file above.");
      }
    }).then(function () {
      on.querySelector("button").disabled = false;
    });
  }

  function turnOff() {
    off.querySelector("button").disabled = true;
    worker().then(function (reg) {
      return reg.pushManager.getSubscription();
    }).then(function (subscription) {
      if (!subscription) {
        return null;
      }
      var endpoint = subscription.endpoint;
      return subscription.unsubscribe().then(function () {
        return send(box.dataset.unsubscribe, { endpoint: endpoint });
      });
    }).then(function () {
      show(false);
      say("Reminders are off for this phone.");
    }).catch(function (err) {
      say("Reminders could not be turned off (" + err.message + "). Please try again.");
    }).then(function () {
      off.querySelector("button").disabled = false;
    });
  }

  on.querySelector("button").addEventListener("click", turnOn);
  off.querySelector("button").addEventListener("click", turnOff);

  // What this phone has now, without asking anything: only an existing registration is read.
  navigator.serviceWorker.getRegistration("/").then(function (reg) {
    return reg ? reg.pushManager.getSubscription() : null;
  }).then(function (subscription) {
    var subscribed = Boolean(subscription) && Notification.permission === "granted";
    show(subscribed);
    if (subscribed) {
      say("Reminders are on for this phone.");
    }
  }).catch(function () {
    show(false);
  });
}());
