package widget

import (
	"encoding/json"
	"os"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/loyalty-checkout/bff-widget/bff"
)

// TestWidgetTypesAgreeWithOpenAPI: the widget's TypeScript types of the BFF's answers
// (widget/src/types.ts) name the fields the OpenAPI document describes. The view's types must
// match it field for field (the widget reads every one, and a field the BFF added must reach
// the types); the platform's types may leave fields out, but not invent any, and a field the
// widget counts on (not optional in TypeScript) must be one the document requires.
func TestWidgetTypesAgreeWithOpenAPI(t *testing.T) {
	src, err := os.ReadFile("src/types.ts")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Components struct {
			Schemas map[string]schema `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(bff.OpenAPI(), &doc); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		ts, oas string
		exact   bool
	}{
		{"CheckoutView", "CheckoutView", true},
		{"Problem", "Problem", true},
		{"Theme", "Theme", true},
		{"Reward", "Reward", false},
		{"RedeemedReward", "RedeemedReward", false},
		{"Applied", "AppliedState", false},
		{"RedeemResult", "RedeemResult", false},
		{"SessionAnswer", "Session", true},
		{"SignedIn", "LoginItem", false},
	} {
		t.Run(tc.ts, func(t *testing.T) {
			fields := tsFields(t, string(src), tc.ts)
			props, required := doc.Components.Schemas[tc.oas].all(doc.Components.Schemas)
			if len(props) == 0 {
				t.Fatalf("openapi.json has no schema %s", tc.oas)
			}
			var names []string
			for name, optional := range fields {
				names = append(names, name)
				if !props[name] {
					t.Errorf("types.ts %s.%s is not in openapi.json's %s", tc.ts, name, tc.oas)
				} else if !optional && !slices.Contains(required, name) {
					t.Errorf("types.ts %s.%s is not optional, but openapi.json's %s does not require it", tc.ts, name, tc.oas)
				}
			}
			if tc.exact {
				for name := range props {
					if _, ok := fields[name]; !ok {
						t.Errorf("openapi.json's %s.%s is missing from types.ts %s", tc.oas, name, tc.ts)
					}
				}
			}
			sort.Strings(names)
			t.Logf("%s: %s", tc.ts, strings.Join(names, " "))
		})
	}
}

// schema is the part of a JSON Schema this test reads.
type schema struct {
	Ref        string         `json:"$ref"`
	Properties map[string]any `json:"properties"`
	Required   []string       `json:"required"`
	AllOf      []schema       `json:"allOf"`
}

// all returns a schema's properties and required names, through $ref and allOf.
func (s schema) all(named map[string]schema) (map[string]bool, []string) {
	props := map[string]bool{}
	required := slices.Clone(s.Required)
	if s.Ref != "" {
		return named[strings.TrimPrefix(s.Ref, "#/components/schemas/")].all(named)
	}
	for name := range s.Properties {
		props[name] = true
	}
	for _, part := range s.AllOf {
		p, r := part.all(named)
		for name := range p {
			props[name] = true
		}
		required = append(required, r...)
	}
	return props, required
}

var tsField = regexp.MustCompile(`(?m)^  ([A-Za-z]+)(\??):`)

// tsFields reads an interface's own and inherited fields from types.ts: name -> optional.
func tsFields(t *testing.T, src, name string) map[string]bool {
	t.Helper()
	re := regexp.MustCompile(`(?s)export interface ` + name + `(?: extends (\w+))? \{\n(.*?)\n\}`)
	m := re.FindStringSubmatch(src)
	if m == nil {
		t.Fatalf("types.ts has no interface %s", name)
	}
	fields := map[string]bool{}
	if m[1] != "" {
		for k, v := range tsFields(t, src, m[1]) {
			fields[k] = v
		}
	}
	for _, f := range tsField.FindAllStringSubmatch(m[2], -1) {
		fields[f[1]] = f[2] == "?"
	}
	return fields
}
