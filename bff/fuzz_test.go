package bff

import (
	"encoding/json"
	"strings"
	"testing"
)

// FuzzAnnotate feeds arbitrary upstream JSON to the message annotation: whatever the
// platform sends, the BFF must not panic, and every object with a UseReason must get a
// non-empty name and message in every locale.
func FuzzAnnotate(f *testing.F) {
	for _, seed := range []string{
		`[{"Id":1,"UseReason":2,"RemainingToUse":12.5,"Enabled":true}]`,
		`{"Reward":{"UseReason":99,"Enabled":false,"DisabledReason":"x"}}`,
		`[{"UseReason":"2"},{"UseReason":null},{"UseReason":-1},{"UseReason":1e300},{"UseReason":2.5}]`,
		`[[[{"UseReason":0,"RemainingToUse":-3}]]]`,
		`{"UseReason":2,"RemainingToUse":"a lot"}`,
		`null`, `"text"`, `[]`,
	} {
		f.Add(seed)
	}
	m := newMessages(TenantConfig{Currency: "BRL"})
	f.Fuzz(func(t *testing.T, raw string) {
		dec := json.NewDecoder(strings.NewReader(raw))
		dec.UseNumber()
		var v any
		if dec.Decode(&v) != nil {
			return
		}
		for _, loc := range locales {
			m.annotate(v, loc)
			checkAnnotated(t, v)
		}
	})
}

func checkAnnotated(t *testing.T, v any) {
	switch x := v.(type) {
	case []any:
		for _, e := range x {
			checkAnnotated(t, e)
		}
	case map[string]any:
		if _, ok := x["UseReason"]; ok {
			name, _ := x["UseReasonName"].(string)
			msg, _ := x["UseReasonMessage"].(string)
			if name == "" || msg == "" || strings.Contains(msg, "{remaining}") {
				t.Fatalf("reward %v annotated %q %q", x, name, msg)
			}
		}
		for _, e := range x {
			checkAnnotated(t, e)
		}
	}
}
