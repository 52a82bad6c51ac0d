package bff

// The tenants file: reading it with every unknown field named by its JSON path, and the
// built-in demo tenant.

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"reflect"
	"slices"
	"strings"
)

// tenantsFile is the JSON form of the tenants file.
type tenantsFile struct {
	Tenants []TenantConfig `json:"tenants"`
}

// LoadTenants reads a tenants file. Every unknown field is reported, each with its JSON path
// (tenants[0].alowedOrigins), in one error: a misspelt field would otherwise be silently
// ignored. Unless the file is not JSON at all, the tenants are returned even with that error,
// so that the caller can validate them too (Options.Validate) and report every problem of the
// file at once.
func LoadTenants(path string) ([]TenantConfig, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("tenants: %w", err)
	}
	var raw any
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&raw); err != nil {
		return nil, fmt.Errorf("tenants file %s: invalid JSON: %w", path, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("tenants file %s: invalid JSON: more after the top-level object", path)
	}
	var errs []error
	for _, u := range unknownFields(raw, reflect.TypeFor[tenantsFile](), "") {
		if u.like != "" {
			errs = append(errs, fmt.Errorf("%s: unknown field (did you mean %q?)", u.path, u.like))
		} else {
			errs = append(errs, fmt.Errorf("%s: unknown field", u.path))
		}
	}
	var f tenantsFile
	if err := json.Unmarshal(b, &f); err != nil {
		errs = append(errs, fmt.Errorf("invalid value: %w", err))
	}
	if err := errors.Join(errs...); err != nil {
		return f.Tenants, fmt.Errorf("tenants file %s:\n%w", path, err)
	}
	return f.Tenants, nil
}

// unknownField is where a name is that its object does not have, and the field it differs
// from only by case, if any.
type unknownField struct{ path, like string }

// unknownFields lists, sorted by path, the object members in v that the Go type t has no field
// for. Names must match their json tag exactly: "Key" for "key" is reported too (encoding/json
// would take it), since the documented spelling is the only one.
func unknownFields(v any, t reflect.Type, path string) []unknownField {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	var out []unknownField
	switch x := v.(type) {
	case map[string]any:
		switch t.Kind() {
		case reflect.Struct:
			fields := map[string]reflect.Type{}
			for i := range t.NumField() {
				f := t.Field(i)
				if name, _, _ := strings.Cut(f.Tag.Get("json"), ","); name != "" && name != "-" && f.IsExported() {
					fields[name] = f.Type
				}
			}
			for _, k := range slices.Sorted(maps.Keys(x)) {
				p := k
				if path != "" {
					p = path + "." + k
				}
				ft, ok := fields[k]
				if !ok {
					u := unknownField{path: p}
					for name := range fields {
						if strings.EqualFold(name, k) {
							u.like = name
						}
					}
					out = append(out, u)
					continue
				}
				out = append(out, unknownFields(x[k], ft, p)...)
			}
		case reflect.Map: // free-form names (messages): only their values have a shape
			for _, k := range slices.Sorted(maps.Keys(x)) {
				out = append(out, unknownFields(x[k], t.Elem(), path+"."+k)...)
			}
		}
	case []any:
		if t.Kind() == reflect.Slice {
			for i, e := range x {
				out = append(out, unknownFields(e, t.Elem(), fmt.Sprintf("%s[%d]", path, i))...)
			}
		}
	}
	return out
}

// DemoTenant is the built-in tenant used when no tenants file is given: key "demo", the
// embedded sandbox as its upstream, the demo store's origins, a demo theme whose join link
// leads to the demo store's page on how to join (demostore's /fidelidade), and a budget as wide as the sandbox's (its built-in seed limits no
// store: a million calls an hour; main narrows it to a seed's rateLimit).
func DemoTenant(upstream string, origins []string) TenantConfig {
	t := TenantConfig{Key: "demo", Upstream: upstream, AllowedOrigins: origins, Locale: defaultLocale, Currency: defaultCurrency,
		Theme:  &Theme{Accent: "#5b21b6", AccentText: "#ffffff", Radius: "8px"},
		Budget: &Budget{PerSecond: -1, PerMinute: -1, PerHour: maxBudget}}
	if len(origins) > 0 {
		t.Theme.JoinURL = origins[len(origins)-1] + "/fidelidade"
	}
	return t
}
