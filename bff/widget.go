package bff

import (
	"strconv"

	"github.com/gofiber/fiber/v2"
)

// WidgetAssets is the built widget the BFF serves.
type WidgetAssets struct {
	JS        []byte // the bundle; its last line links Name + ".map"
	SourceMap []byte
	Name      string // content-hashed file name, e.g. "widget.3f2a9c01d4e5.js"
	Integrity string // Subresource Integrity of JS: "sha384-…"
	Version   string
}

// WidgetManifest is GET /widget.json: where the immutable bundle is and its SRI hash.
type WidgetManifest struct {
	URL       string `json:"url"`
	Integrity string `json:"integrity"`
	Version   string `json:"version"`
	Bytes     int    `json:"bytes"`
}

// MountWidget serves the widget:
//
//	/widget.js          the current bundle, cached 5 minutes
//	/<Name>             the same bytes at a content-hashed URL, cached for a year (immutable)
//	/<Name>.map         its source map
//	/widget.json        the manifest: {"url", "integrity", "version", "bytes"}
//
// Any page may load them (Access-Control-Allow-Origin: *), so <script integrity=...
// crossorigin="anonymous"> works.
func (s *Server) MountWidget(w *WidgetAssets) {
	asset := func(body []byte, contentType, cache string) fiber.Handler {
		return func(c *fiber.Ctx) error {
			c.Set(fiber.HeaderContentType, contentType)
			c.Set(fiber.HeaderCacheControl, cache)
			c.Set(fiber.HeaderAccessControlAllowOrigin, "*")
			c.Set("Cross-Origin-Resource-Policy", "cross-origin")
			c.Set(fiber.HeaderXContentTypeOptions, "nosniff")
			return c.Send(body)
		}
	}
	const js = "text/javascript; charset=utf-8"
	s.app.Get("/widget.js", asset(w.JS, js, "public, max-age=300"))
	s.app.Get("/"+w.Name, asset(w.JS, js, "public, max-age=31536000, immutable"))
	s.app.Get("/"+w.Name+".map", asset(w.SourceMap, "application/json", "public, max-age=31536000, immutable"))
	s.app.Get("/widget.json", func(c *fiber.Ctx) error {
		c.Set(fiber.HeaderAccessControlAllowOrigin, "*")
		c.Set(fiber.HeaderCacheControl, "no-cache")
		return c.JSON(WidgetManifest{URL: "/" + w.Name, Integrity: w.Integrity, Version: w.Version, Bytes: len(w.JS)})
	})
	s.log.Info("widget mounted", "url", "/"+w.Name, "bytes", strconv.Itoa(len(w.JS)))
}
