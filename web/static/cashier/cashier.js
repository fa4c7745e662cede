// Cashier page behaviour: countdown, status polling, copy buttons and the
// QR toggle. The page is server-rendered; this file only reads data-*
// attributes (the CSP allows no inline script).
(function () {
  "use strict";
  var root = document.getElementById("cashier");
  if (!root) { return; }
  var d = root.dataset;
  var clockOffset = Number(d.now) - Date.now(); // server time minus browser time
  var expires = Number(d.expires);
  var stateEl = document.getElementById("state");
  var countdownEl = document.getElementById("countdown");
  var finished = false;

  function serverNow() { return Date.now() + clockOffset; }

  function pad(n) { return (n < 10 ? "0" : "") + n; }

  function tick() {
    var left = Math.max(0, Math.floor((expires - serverNow()) / 1000));
    var h = Math.floor(left / 3600), m = Math.floor((left % 3600) / 60), s = left % 60;
    countdownEl.textContent = (h > 0 ? h + ":" + pad(m) : pad(m)) + ":" + pad(s);
  }

  function setState(name, text) {
    root.className = root.className.replace(/\bstate-\w+/g, "").trim() + " state-" + name;
    stateEl.textContent = text;
  }

  function safeRedirect(url) {
    return /^https?:\/\//i.test(url || "") ? url : "";
  }

  function apply(data) {
    if (finished) { return; }
    if (data.status === 2) {
      finished = true;
      var target = safeRedirect(d.redirect);
      setState("paid", target ? d.tPaidRedirect : d.tPaid);
      if (target) { setTimeout(function () { window.location.href = target; }, 1500); }
      return;
    }
    if (data.seen) {
      var n = data.confirmations, req = data.required_confirmations;
      var progress = (typeof n === "number" && typeof req === "number") ? " (" + n + "/" + req + ")" : "";
      setState("confirming", d.tConfirming + progress);
      return;
    }
    if (data.status === 3) {
      setState("expired", d.tExpired);
      return;
    }
    setState("waiting", d.tWaiting);
  }

  function poll() {
    if (finished) { return; }
    fetch(d.statusUrl, { cache: "no-store", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.json(); })
      .then(function (env) { if (env && env.status_code === 200 && env.data) { apply(env.data); } })
      .catch(function () { /* keep polling: the network may come back */ })
      .then(function () { if (!finished) { setTimeout(poll, 2000); } });
  }

  function copied(btn, ok) {
    var original = btn.getAttribute("data-label") || btn.textContent;
    btn.setAttribute("data-label", original);
    btn.textContent = ok ? d.tCopied : d.tCopyFailed;
    btn.classList.toggle("is-done", ok);
    setTimeout(function () { btn.textContent = original; btn.classList.remove("is-done"); }, 2000);
  }

  function fallbackCopy(text) {
    var area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.className = "is-offscreen";
    document.body.appendChild(area);
    area.select();
    var ok = false;
    try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
    document.body.removeChild(area);
    return ok;
  }

  Array.prototype.forEach.call(document.querySelectorAll("button[data-copy]"), function (btn) {
    btn.addEventListener("click", function () {
      var text = btn.getAttribute("data-copy");
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(text).then(function () { copied(btn, true); },
          function () { copied(btn, fallbackCopy(text)); });
      } else {
        copied(btn, fallbackCopy(text));
      }
    });
  });

  var toggle = document.getElementById("qr-toggle");
  if (toggle) {
    toggle.addEventListener("click", function () {
      var a = document.getElementById("qr"), b = document.getElementById("qr-link");
      var showLink = b.classList.contains("is-hidden");
      a.classList.toggle("is-hidden", showLink);
      b.classList.toggle("is-hidden", !showLink);
      toggle.textContent = showLink ? toggle.dataset.tAddress : toggle.dataset.tLink;
    });
  }

  tick();
  setInterval(tick, 1000);
  poll();
})();
