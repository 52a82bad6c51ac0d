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

// FuzzJSONObject feeds arbitrary request bodies to the BFF's body reader: it must not panic,
// must accept only what encoding/json accepts as one object, and what it accepts has no two
// top-level names equal without regard to case (the platform could read either).
func FuzzJSONObject(f *testing.F) {
	for _, seed := range []string{
		`{"OriginalId":"cart-1"}`, `{"originalid":"dupC","OriginalId":"dupD"}`, `{"a":1,"a":1}`,
		`{"\u017fx":1,"Sx":2}`, `{"a":{"b":1,"B":2}}`, `{"a":1} {"a":2}`, `{"a":1`, `null`, `[]`, ` `, `{}`,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, body string) {
		fields, herr := jsonObject([]byte(body))
		if herr != nil {
			if herr.Code != 400 || (herr.ErrorCode != CodeInvalidJSON && herr.ErrorCode != CodeAmbiguousBody) || herr.Msg == "" {
				t.Fatalf("%q: %+v", body, herr)
			}
			return
		}
		if strings.TrimSpace(body) == "" {
			return
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(body), &m); err != nil || m == nil {
			t.Fatalf("%q accepted, but encoding/json says %v", body, err)
		}
		if len(m) != len(fields) {
			t.Fatalf("%q: %d fields, encoding/json has %d", body, len(fields), len(m))
		}
		for k := range m {
			for k2 := range m {
				if k != k2 && strings.EqualFold(k, k2) {
					t.Fatalf("%q accepted with %q and %q", body, k, k2)
				}
			}
			if _, ok := fields[foldName(k)]; !ok {
				t.Fatalf("%q: %q is not found by its folded name", body, k)
			}
		}
	})
}
