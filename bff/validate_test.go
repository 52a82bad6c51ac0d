package bff

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestOptionsValidationReportsEveryProblem(t *testing.T) {
	o := Options{
		Tenants: []TenantConfig{
			{Key: "", Upstream: "ftp://x"},
			{Key: "a", Upstream: "http://up", AllowedOrigins: []string{"*", "http://shop.test/", "https://*.shop.test", "http://ok.test"}, Locale: "fr", Currency: "XXXX",
				Messages: map[string]map[string]string{"NotAReason": {"pt-BR": "x", "fr": "y"}, "CanUse": {"de": "x"}, "Short": {"en": "{remaining} short", "es": "{n} y {n}"}, "Title": {"es": " "}}},
			{Key: "a", Upstream: "http://up"},
		},
		Keys:               []Key{{ID: "short", Secret: []byte("123")}, {ID: "zeros", Secret: make([]byte, 32)}},
		TokenTTL:           2 * time.Hour,
		TokenLeeway:        -time.Second,
		MaxUpstreamBody:    2 << 20,
		MaxRedeemedBody:    1 << 20,
		UpstreamQueue:      -1,
		ClientLoginEvery:   -time.Second,
		TrustedProxyHeader: "X-Forwarded-For:",
	}
	_, err := New(o)
	if err == nil {
		t.Fatal("invalid options accepted")
	}
	for _, want := range []string{"key is empty", `upstream "ftp://x"`, `allowed origin "*"`, `allowed origin "http://shop.test/"`, `"https://*.shop.test"`,
		`locale "fr"`, `currency "XXXX"`, `"NotAReason" is not a UseReason name nor one of the widget's sentences`, `locale "de"`, `messages.NotAReason: locale "fr"`,
		`messages.Short.en "{remaining} short": {remaining} is not filled in this sentence`, `messages.Title.es " ": is empty`, `messages.Short.es "{n} y {n}": {n} is filled once only`, "key appears twice", "needs at least 32", "TokenTTL",
		"keys[1] (zeros): secret has only 1 distinct", "TokenLeeway -1s", "MaxRedeemedBody 1048576: must not be below MaxUpstreamBody",
		"UpstreamQueue", "ClientLoginEvery -1s", `TrustedProxyHeader "X-Forwarded-For:"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	if strings.Contains(err.Error(), "http://ok.test") {
		t.Errorf("a valid origin was reported: %v", err)
	}
}

// TestLoadTenants: every unknown field of a tenants file is reported with its JSON path, and
// the tenants are still returned so that their values can be validated in the same pass.
func TestLoadTenants(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tenants.json")
	write := func(s string) {
		if err := os.WriteFile(path, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(`{"tenants": [
	  {"key": "a", "upstream": "http://up.test", "allowRedeemWithoutOriginalId": true,
	   "messages": {"CanUse": {"en": "Go!"}, "Nope": {"xx": "y"}}},
	  {"key": "b", "upstream": "http://up.test", "alowedOrigins": [], "Locale": "en", "extra": {"deep": 1}}
	], "version": 2}`)
	tenants, err := LoadTenants(path)
	if len(tenants) != 2 || !tenants[0].AllowRedeemWithoutOriginalId || tenants[1].AllowRedeemWithoutOriginalId {
		t.Fatalf("tenants %+v", tenants)
	}
	want := "tenants file " + path + ":\n" +
		"tenants[1].Locale: unknown field (did you mean \"locale\"?)\n" +
		"tenants[1].alowedOrigins: unknown field\n" +
		"tenants[1].extra: unknown field\n" +
		"version: unknown field"
	if err == nil || err.Error() != want {
		t.Fatalf("error:\n%v\nwant:\n%s", err, want)
	}
	write(`{"tenants": [{"key": "a", "upstream": "http://up.test"}]}`)
	if tenants, err := LoadTenants(path); err != nil || len(tenants) != 1 {
		t.Fatalf("%v %v", tenants, err)
	}
	for _, bad := range []string{`{"tenants": [`, `{"tenants": []} {}`, `[]`} {
		write(bad)
		if _, err := LoadTenants(path); err == nil {
			t.Fatalf("%s accepted", bad)
		}
	}
}
