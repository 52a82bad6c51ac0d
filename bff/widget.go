package bff

import "errors"

// WidgetAssets is the built widget the BFF serves (Options.Widget). New precompresses each
// file once (brotli and gzip, at their best levels) and serves the encoding a client accepts:
//
//	/widget.js             the current bundle, cached 5 minutes
//	/<Name>                the same bytes at a content-hashed URL, cached for a year (immutable)
//	/<Name>.map            its source map
//	/loyalty-widget.d.ts   the TypeScript declarations of window.LoyaltyWidget (when Types is
//	                       set), cached as /widget.js
//	/widget.json           the manifest: {"url", "integrity", "version", "bytes"}
type WidgetAssets struct {
	JS        []byte // the bundle; its last line links Name + ".map"
	SourceMap []byte
	Types     []byte // loyalty-widget.d.ts; nil: not served
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

// widgetFiles are the widget's files, ready to serve.
type widgetFiles struct {
	name                 string
	js, sourceMap, types *staticFile
	manifest             WidgetManifest
}

func newWidgetFiles(w *WidgetAssets) (*widgetFiles, error) {
	if len(w.JS) == 0 || w.Name == "" {
		return nil, errors.New("widget: no bundle or no name")
	}
	f := &widgetFiles{
		name:      w.Name,
		js:        newStaticFile(w.JS, "text/javascript; charset=utf-8"),
		sourceMap: newStaticFile(w.SourceMap, "application/json"),
		manifest:  WidgetManifest{URL: "/" + w.Name, Integrity: w.Integrity, Version: w.Version, Bytes: len(w.JS)},
	}
	if w.Types != nil {
		f.types = newStaticFile(w.Types, "application/typescript; charset=utf-8")
	}
	return f, nil
}
