package widget

import (
	"bytes"
	"compress/gzip"
	"crypto/sha512"
	"encoding/base64"
	"strings"
	"testing"
)

// widgetBudget is the most the widget may weigh, minified and gzipped. Sizes are
// deterministic, so this is a test, not a benchmark.
const widgetBudget = 12 * 1024

func gzipSize(t *testing.T, b []byte) int {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	zw.Close()
	return buf.Len()
}

func TestWidgetBuild(t *testing.T) {
	w, err := Build()
	if err != nil {
		t.Fatal(err)
	}
	gz := gzipSize(t, w.JS)
	t.Logf("widget: %d bytes minified, %d bytes gzipped (budget %d)", len(w.JS), gz, widgetBudget)
	if gz > widgetBudget {
		t.Fatalf("the widget is %d bytes gzipped, over its %d-byte budget", gz, widgetBudget)
	}
	sum := sha512.Sum384(w.JS)
	if w.Integrity != "sha384-"+base64.StdEncoding.EncodeToString(sum[:]) {
		t.Fatal("published integrity does not match the bytes")
	}
	if !strings.HasPrefix(w.Name, "widget.") || !strings.HasSuffix(string(w.JS), "//# sourceMappingURL="+w.Name+".map\n") {
		t.Fatalf("name %q, tail %q", w.Name, string(w.JS[len(w.JS)-60:]))
	}
	if !bytes.Contains(w.SourceMap, []byte(`"sourcesContent"`)) || !bytes.Contains(w.SourceMap, []byte("widget/src/widget.ts")) {
		t.Fatal("source map lacks the sources")
	}
	for _, banned := range []string{"innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"} {
		if bytes.Contains(w.JS, []byte(banned)) {
			t.Errorf("the bundle uses %s: server strings must be rendered as text and no code evaluated", banned)
		}
	}
	again, err := Build()
	if err != nil || !bytes.Equal(again.JS, w.JS) {
		t.Fatal("the build is not reproducible")
	}
}
