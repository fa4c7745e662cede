// Package notify delivers merchant callbacks from the outbox: it builds and
// signs the Epusdt callback body (MD5 signature field plus the
// Epusdt-Signature HMAC header), runs the worker pool that claims due jobs
// under a lease, sends them through an HTTP client that refuses link-local
// and metadata addresses (and, when asked, private ones), retries with
// backoff, logs every attempt, and offers the manual resend and list
// functions the CLI, admin UI and bot share.
package notify
