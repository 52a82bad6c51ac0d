package bff

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/loyalty-checkout/bff-widget/bff/platform"
)

// FuzzAnnotate feeds arbitrary upstream listings to the BFF's decoding and annotation:
// whatever the platform sends, the BFF must not panic; an answer it can read gets every reward
// a non-empty name and message in every locale, and writes back valid JSON with every unknown
// field kept.
func FuzzAnnotate(f *testing.F) {
	for _, seed := range []string{
		`{"HasError":false,"Message":null,"Item":[{"Id":1,"UseReason":2,"RemainingToUse":12.5,"Enabled":true}]}`,
		`{"HasError":false,"Item":[{"Id":2,"UseReason":99,"Enabled":false,"DisabledReason":"x","Extra":{"a":[1,2]}}]}`,
		`{"HasError":false,"Item":[{"UseReason":"2"},{"UseReason":null},{"UseReason":-1},{"UseReason":1e300},{"UseReason":2.5}]}`,
		`{"HasError":false,"Item":[{"UseReason":2,"RemainingToUse":-3,"Enabled":true}]}`,
		`{"HasError":false,"Item":[{"UseReason":2,"RemainingToUse":"a lot"}]}`,
		`{"HasError":false,"Item":null}`, `{"HasError":false,"Item":[]}`, `{"HasError":true,"Message":"x","Item":null}`,
	} {
		f.Add(seed)
	}
	m := newMessages(TenantConfig{Currency: "BRL"})
	f.Fuzz(func(t *testing.T, raw string) {
		var env platform.Envelope[[]platform.Reward]
		if platform.Unmarshal([]byte(raw), &env) != nil {
			return
		}
		for _, loc := range locales {
			out := env
			out.Item = m.rewards(env.Item, loc)
			for _, r := range out.Item {
				if r.UseReasonName == "" || r.UseReasonMessage == "" || strings.Contains(r.UseReasonMessage, "{remaining}") {
					t.Fatalf("reward %+v annotated %q %q", r, r.UseReasonName, r.UseReasonMessage)
				}
			}
			b, err := platform.Marshal(out)
			if err != nil {
				t.Fatalf("%s: %v", raw, err)
			}
			if !json.Valid(b) {
				t.Fatalf("%s written as %s", raw, b)
			}
			for i, r := range env.Item {
				if r.UseReasonName != "" && out.Item[i].UseReasonName == "" {
					t.Fatal("annotation lost")
				}
			}
		}
	})
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
