// Package web holds the embedded HTML templates and static assets of the
// gateway's pages (no CDN: the payer's browser may be anywhere, and the CSP
// allows only same-origin scripts and styles).
package web

import (
	"embed"
	"io/fs"
)

//go:embed templates static
var files embed.FS

// Templates returns the HTML templates (html/template syntax), e.g.
// "cashier/page.html".
func Templates() fs.FS {
	sub, err := fs.Sub(files, "templates")
	if err != nil {
		panic(err) // the directory is embedded at build time
	}
	return sub
}

// Static returns the static assets served under static_path, e.g.
// "cashier/cashier.js".
func Static() fs.FS {
	sub, err := fs.Sub(files, "static")
	if err != nil {
		panic(err)
	}
	return sub
}
