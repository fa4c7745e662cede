// Package ui holds the admin console's embedded templates and static assets
// (no CDN: the console works with no outside network).
package ui

import "embed"

// Files holds templates/*.html and static/*.
//
//go:embed templates/*.html static/*
var Files embed.FS
