package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/loyalty-checkout/bff-widget/bff"
	"github.com/loyalty-checkout/bff-widget/sandbox"
)

// readmeBlock is one indented code block of the README.
type readmeBlock struct {
	line int // first line, 1-based
	text string
}

// readmeBlocks returns the README's indented (4-space) code blocks.
func readmeBlocks(t *testing.T) []readmeBlock {
	t.Helper()
	raw, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	var blocks []readmeBlock
	var cur *readmeBlock
	for i, line := range strings.Split(string(raw), "\n") {
		if strings.HasPrefix(line, "    ") || (cur != nil && strings.TrimSpace(line) == "") {
			if cur == nil {
				blocks = append(blocks, readmeBlock{line: i + 1})
				cur = &blocks[len(blocks)-1]
			}
			cur.text += strings.TrimPrefix(line, "    ") + "\n"
			continue
		}
		cur = nil
	}
	return blocks
}

// TestReadmeJSONExamplesAreValid: a newcomer pastes the README's examples; every example that
// is JSON must parse, and the tenants file must load and validate as the BFF loads it.
func TestReadmeJSONExamplesAreValid(t *testing.T) {
	var jsonBlocks, tenantFiles, seeds int
	for _, b := range readmeBlocks(t) {
		text := strings.TrimSpace(b.text)
		if !strings.HasPrefix(text, "{") && !strings.HasPrefix(text, "[") {
			continue
		}
		jsonBlocks++
		if !json.Valid([]byte(text)) {
			var v any
			err := json.Unmarshal([]byte(text), &v)
			t.Errorf("README.md:%d: the example is not valid JSON (%v):\n%s", b.line, err, text)
			continue
		}
		if !strings.Contains(text, `"tenants"`) {
			continue
		}
		if strings.Contains(text, `"shoppers"`) { // the sandbox's seed file
			seeds++
			if seed, err := sandbox.ParseSeed([]byte(text)); err != nil {
				t.Errorf("README.md:%d: the seed example does not load: %v", b.line, err)
			} else if err := seed.Validate(); err != nil {
				t.Errorf("README.md:%d: the seed example is invalid: %v", b.line, err)
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
			t.Errorf("README.md:%d: the tenants example does not load: %v", b.line, err)
			continue
		}
		keys, _ := bff.ParseKeys(testKeys)
		o := bff.Options{Tenants: tenants, Keys: keys}
		if err := o.Validate(); err != nil {
			t.Errorf("README.md:%d: the tenants example is invalid: %v", b.line, err)
		}
	}
	if jsonBlocks < 3 || tenantFiles != 1 || seeds != 1 {
		t.Fatalf("found %d JSON examples, %d tenants files and %d seeds in the README: the test no longer finds them", jsonBlocks, tenantFiles, seeds)
	}
}
