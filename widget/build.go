// Package widget builds the embeddable widget: its TypeScript (src/), embedded in the binary,
// bundled by esbuild's Go API into the script, source map and types the BFF serves. Nothing
// else: the BFF serves what Build returns (bff.WidgetAssets).
package widget

import (
	"crypto/sha256"
	"crypto/sha512"
	"embed"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"path"
	"strconv"
	"strings"

	"github.com/evanw/esbuild/pkg/api"

	"github.com/loyalty-checkout/bff-widget/bff"
)

// widgetSrc is the widget's TypeScript, embedded so that the binary (and `go run .`) always
// builds and serves the sources it was built from, with no Node.js anywhere.
//
//go:embed src/*.ts src/*.css
var widgetSrc embed.FS

// widgetTypes holds loyalty-widget.d.ts, the declarations of window.LoyaltyWidget for
// integrators, served beside the bundle at /loyalty-widget.d.ts.
//
//go:embed *.d.ts
var widgetTypes embed.FS

// Version is the widget's version: in the bundle (VERSION), its beacons and /healthz.
const Version = "1.0.0"

// Build bundles src/index.ts with esbuild's Go API into one minified IIFE and its source map
// (which names the sources by their repository paths, widget/src/...). Any warning is a
// failure, as an error would be. The bundle is served at /widget.js and at a content-hashed,
// immutable URL whose Subresource Integrity hash is published (see bff.WidgetAssets).
func Build() (*bff.WidgetAssets, error) {
	res := api.Build(api.BuildOptions{
		EntryPoints: []string{"widget/src/index.ts"},
		Bundle:      true,
		Format:      api.FormatIIFE,
		// ES2020: every browser the widget runs in has it (the widget calls
		// Element.replaceChildren: Chrome 86, Firefox 78, Safari 14), and it spares the bundle
		// the lowering of ?. and ??.
		Target:            api.ES2020,
		Platform:          api.PlatformBrowser,
		MinifyWhitespace:  true,
		MinifyIdentifiers: true,
		MinifySyntax:      true,
		// Property names ending in "_" are the widget's own (state, adapters, the BFF client):
		// shortened. Nothing that crosses the wire or the page ends so: the BFF's JSON, VTEX's
		// orderForm, the data- attributes, the LoyaltyWidget API, the stored keys.
		MangleProps:   `_$`,
		TreeShaking:   api.TreeShakingTrue,
		Charset:       api.CharsetUTF8,
		LegalComments: api.LegalCommentsNone,
		Sourcemap:     api.SourceMapExternal,
		Outfile:       "widget.js",
		Define:        map[string]string{"VERSION": strconv.Quote(Version)},
		Plugins:       []api.Plugin{embeddedSources},
		LogLevel:      api.LogLevelSilent,
		Write:         false,
	})
	if msgs := append(res.Errors, res.Warnings...); len(msgs) > 0 {
		var errs []error
		for _, m := range api.FormatMessages(msgs, api.FormatMessagesOptions{Kind: api.ErrorMessage}) {
			errs = append(errs, errors.New(strings.TrimSpace(m)))
		}
		return nil, fmt.Errorf("widget build: %w", errors.Join(errs...))
	}
	var js, sourceMap []byte
	for _, f := range res.OutputFiles {
		switch path.Ext(f.Path) {
		case ".js":
			js = f.Contents
		case ".map":
			sourceMap = f.Contents
		}
	}
	if js == nil || sourceMap == nil {
		return nil, errors.New("widget build: esbuild wrote no bundle or no source map")
	}
	// esbuild ends the bundle with a link to "widget.js.map"; point it at the hashed name so
	// both URLs of the bundle (same bytes) find the same map.
	body := strings.TrimSuffix(strings.TrimRight(string(js), "\n"), "//# sourceMappingURL=widget.js.map")
	sum := sha256.Sum256([]byte(body))
	name := "widget." + hex.EncodeToString(sum[:6]) + ".js"
	js = []byte(body + "//# sourceMappingURL=" + name + ".map\n")
	sri := sha512.Sum384(js)
	types, _ := widgetTypes.ReadFile("loyalty-widget.d.ts") // nil when absent: not served
	return &bff.WidgetAssets{
		JS:        js,
		SourceMap: sourceMap,
		Types:     types,
		Name:      name,
		Integrity: "sha384-" + base64.StdEncoding.EncodeToString(sri[:]),
		Version:   Version,
	}, nil
}

// embeddedSources resolves and loads the widget's modules from widgetSrc instead of the disk
// (widget/src/x.ts is widgetSrc's src/x.ts).
var embeddedSources = api.Plugin{
	Name: "embedded-widget-sources",
	Setup: func(b api.PluginBuild) {
		b.OnResolve(api.OnResolveOptions{Filter: `.*`}, func(a api.OnResolveArgs) (api.OnResolveResult, error) {
			p := a.Path
			if a.Kind != api.ResolveEntryPoint {
				if !strings.HasPrefix(p, "./") {
					return api.OnResolveResult{}, fmt.Errorf("the widget imports only its own modules, not %q", p)
				}
				p = path.Join(path.Dir(a.Importer), p)
			}
			p = path.Clean(p)
			if path.Ext(p) == "" {
				p += ".ts"
			}
			return api.OnResolveResult{Path: p, Namespace: "widget"}, nil
		})
		b.OnLoad(api.OnLoadOptions{Filter: `.*`, Namespace: "widget"}, func(a api.OnLoadArgs) (api.OnLoadResult, error) {
			src, err := widgetSrc.ReadFile(strings.TrimPrefix(a.Path, "widget/"))
			if err != nil {
				return api.OnLoadResult{}, err
			}
			contents := string(src)
			loader := api.LoaderTS
			if path.Ext(a.Path) == ".css" {
				loader = api.LoaderText
			}
			return api.OnLoadResult{Contents: &contents, Loader: loader}, nil
		})
	},
}
