// Package docs holds no code: its tests hold the guides (README.md, ARCHITECTURE.md and the
// reference in docs/) to what the product reads, so that an example a newcomer pastes works.
package docs

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/loyalty-checkout/bff-widget/bff"
	"github.com/loyalty-checkout/bff-widget/sandbox"
)

// guideFiles are the README and the reference it points to: every file whose examples a
// newcomer may paste.
func guideFiles(t *testing.T) []string {
	t.Helper()
	docs, err := filepath.Glob("*.md")
	if err != nil {
		t.Fatal(err)
	}
	if len(docs) == 0 {
		t.Fatal("docs/ holds no reference: the README's examples moved there")
	}
	return append([]string{"../README.md"}, docs...)
}

// readmeBlock is one indented code block of a guide file.
type readmeBlock struct {
	file string
	line int // first line, 1-based
	text string
}

// readmeBlocks returns the indented (4-space) code blocks of the README and of docs/.
func readmeBlocks(t *testing.T) []readmeBlock {
	t.Helper()
	var blocks []readmeBlock
	for _, file := range guideFiles(t) {
		raw, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		var cur *readmeBlock
		for i, line := range strings.Split(string(raw), "\n") {
			if strings.HasPrefix(line, "    ") || (cur != nil && strings.TrimSpace(line) == "") {
				if cur == nil {
					blocks = append(blocks, readmeBlock{file: file, line: i + 1})
					cur = &blocks[len(blocks)-1]
				}
				cur.text += strings.TrimPrefix(line, "    ") + "\n"
				continue
			}
			cur = nil
		}
	}
	return blocks
}

// TestReadmeJSONExamplesAreValid: a newcomer pastes the README's and the reference's examples;
// every example that is JSON must parse, and every tenants file must load and validate as the
// BFF loads it, every seed as the sandbox does.
func TestReadmeJSONExamplesAreValid(t *testing.T) {
	var jsonBlocks, tenantFiles, seeds int
	for _, b := range readmeBlocks(t) {
		where := fmt.Sprintf("%s:%d", b.file, b.line)
		text := strings.TrimSpace(b.text)
		if !strings.HasPrefix(text, "{") && !strings.HasPrefix(text, "[") {
			continue
		}
		jsonBlocks++
		if !json.Valid([]byte(text)) {
			var v any
			err := json.Unmarshal([]byte(text), &v)
			t.Errorf("%s: the example is not valid JSON (%v):\n%s", where, err, text)
			continue
		}
		if !strings.Contains(text, `"tenants"`) {
			continue
		}
		if strings.Contains(text, `"shoppers"`) { // the sandbox's seed file
			seeds++
			if seed, err := sandbox.ParseSeed([]byte(text)); err != nil {
				t.Errorf("%s: the seed example does not load: %v", where, err)
			} else if err := seed.Validate(); err != nil {
				t.Errorf("%s: the seed example is invalid: %v", where, err)
			}
			continue
		}
		tenantFiles++
		path := filepath.Join(t.TempDir(), "tenants.json")
		if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		tenants, err := bff.LoadTenants(path)
		if err != nil {
			t.Errorf("%s: the tenants example does not load: %v", where, err)
			continue
		}
		keys, _ := bff.ParseKeys(testKeys)
		o := bff.Options{Tenants: tenants, Keys: keys}
		if err := o.Validate(); err != nil {
			t.Errorf("%s: the tenants example is invalid: %v", where, err)
		}
	}
	// README: a short tenants file; docs/configuration.md: a full one; docs/sandbox.md: a seed;
	// docs/api.md: the view.
	if jsonBlocks < 4 || tenantFiles < 2 || seeds < 1 {
		t.Fatalf("found %d JSON examples, %d tenants files and %d seeds in the README and docs/: the test no longer finds them", jsonBlocks, tenantFiles, seeds)
	}
}

// testKeys is a BFF token key for validating the tenants examples: a fixed random secret.
const testKeys = "k:rIp8lq9E7FY8+vFNwjziJijpUF6xze3rX7xD9ajol60="

// readmeMaxBytes is the most the README may weigh: a guide read in ten minutes; the reference
// lives in docs/ and the history in CHANGELOG.md.
const readmeMaxBytes = 15 * 1024

// referenceDocs are the reference's files, one per subject.
var referenceDocs = []string{
	"docs/widget.md", "docs/api.md", "docs/configuration.md", "docs/shield.md",
	"docs/operations.md", "docs/sandbox.md", "docs/benchmarks.md",
}

// TestReadmeIsAGuide: the README stays short, and it and ARCHITECTURE.md link every file of the
// reference, which exists.
func TestReadmeIsAGuide(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("README.md: %d bytes (at most %d)", len(readme), readmeMaxBytes)
	if len(readme) > readmeMaxBytes {
		t.Errorf("README.md is %d bytes, over %d: move reference into docs/, history into CHANGELOG.md", len(readme), readmeMaxBytes)
	}
	arch, err := os.ReadFile("../ARCHITECTURE.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, doc := range referenceDocs {
		if _, err := os.Stat(filepath.Join("..", doc)); err != nil {
			t.Errorf("%s: %v", doc, err)
		}
		if !strings.Contains(string(readme), "]("+doc+")") {
			t.Errorf("README.md does not link %s", doc)
		}
		if !strings.Contains(string(arch), "]("+doc+")") {
			t.Errorf("ARCHITECTURE.md does not link %s", doc)
		}
	}
	if _, err := os.Stat("../CHANGELOG.md"); err != nil {
		t.Error(err)
	}
}
