// Admin console helpers (no inline scripts: the CSP forbids them).
// A form with data-confirm asks before submitting.
document.addEventListener("submit", function (e) {
  var msg = e.target.getAttribute("data-confirm");
  if (msg && !window.confirm(msg)) {
    e.preventDefault();
  }
});
