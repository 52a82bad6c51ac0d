package bff

import (
	"bytes"
	"encoding/json"
	"io"
	"regexp"
	"strconv"
	"strings"
	"unicode"
)

// Input checks: everything a request brings is validated here before it can reach the
// platform or a cache key.

// purchaseParam validates purchaseValue and returns it in cents; ok is false when absent.
func purchaseParam(raw string, required bool) (cents int64, ok bool, herr *HTTPError) {
	if raw == "" {
		if required {
			return 0, false, badRequest(CodeInvalidPurchase, "purchaseValue is required: the cart's items total, e.g. 149.90.")
		}
		return 0, false, nil
	}
	cents, herr = parseCents(raw)
	return cents, herr == nil, herr
}

// maxPurchaseMicros is the largest purchaseValue, 999999999.99, in millionths: the finest
// unit purchaseValue may be written in.
const (
	maxPurchaseMicros = 999_999_999_990_000
	maxPurchase       = 1e9 // as a float, for amounts the platform sends
)

var decimalRe = regexp.MustCompile(`^([0-9]+)(?:\.([0-9]+))?$`)

// parseCents reads a non-negative decimal exactly, from its digits and without a float (a
// float turned 1.005 into 1.00, and let 999999999.999999 past the maximum by rounding it to
// 1000000000.00 before the check), checks the exact value against the maximum, and only then
// rounds half up to cents.
func parseCents(raw string) (int64, *HTTPError) {
	if strings.HasPrefix(raw, "-") {
		return 0, badRequest(CodeInvalidPurchase, "purchaseValue must not be negative.")
	}
	m := decimalRe.FindStringSubmatch(raw)
	if m == nil {
		return 0, badRequest(CodeInvalidPurchase, "purchaseValue must be a decimal number with a dot, e.g. 149.90.")
	}
	whole, frac := m[1], m[2]
	if len(whole) > 15 || len(frac) > 6 {
		return 0, badRequest(CodeInvalidPurchase, "purchaseValue has too many digits: at most 15 before the dot and 6 after it.")
	}
	whole = strings.TrimLeft(whole, "0")
	tooLarge := func() *HTTPError { // made only when answered: this is every listing's path
		return badRequest(CodeInvalidPurchase, "purchaseValue is too large (at most 999999999.99).")
	}
	if len(whole) > 9 {
		return 0, tooLarge()
	}
	w, _ := strconv.ParseInt("0"+whole, 10, 64)                 // at most 9 digits
	f, _ := strconv.ParseInt(frac+"000000"[len(frac):], 10, 64) // exactly 6 digits
	micros := w*1_000_000 + f
	if micros > maxPurchaseMicros {
		return 0, tooLarge()
	}
	return (micros + 5_000) / 10_000, nil
}

func centsString(c int64) string {
	return strconv.FormatInt(c/100, 10) + "." + strconv.FormatInt(100+c%100, 10)[1:]
}

var cartIDRe = regexp.MustCompile(`^[A-Za-z0-9._:-]{1,128}$`)

// cartParam validates an optional cart id (VTEX's orderFormId is 32 hex characters).
func cartParam(name, v string) *HTTPError {
	if v != "" && !cartIDRe.MatchString(v) {
		return badRequest(CodeBadRequest, "%s must be 1 to 128 letters, digits or . _ : -", name)
	}
	return nil
}

// idParam validates a reward or redemption id in the path.
func idParam(raw string) (string, *HTTPError) {
	id, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || id <= 0 || id > 1<<53 {
		return "", badRequest(CodeInvalidID, "The id in the path must be a positive integer.")
	}
	return strconv.FormatInt(id, 10), nil
}

// bodyFields are a request body's top-level fields keyed by foldName: each name at most once,
// so which value a field has never depends on map order.
type bodyFields map[string]any

// jsonObject decodes a request body that must be empty or exactly one JSON object, with
// nothing after it, whose top-level names are unambiguous. The platform matches names
// without regard to case, so a body naming a field twice (exactly, or in two casings) could be
// read either way: once, ranging over a map, it was read both ways and one redeem debited
// twice. Such a body is refused before anything reaches the platform.
func jsonObject(b []byte) (bodyFields, *HTTPError) {
	fields := bodyFields{}
	if len(bytes.TrimSpace(b)) == 0 {
		return fields, nil
	}
	notObject := badRequest(CodeInvalidJSON, "The request body must be a JSON object.")
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, notObject
	}
	spelled := map[string]string{} // folded name -> as the body first wrote it
	for dec.More() {
		tok, err := dec.Token()
		name, isName := tok.(string)
		if err != nil || !isName {
			return nil, notObject
		}
		var v any
		if err := dec.Decode(&v); err != nil { // a nested value whole: its names are its own
			return nil, notObject
		}
		key := foldName(name)
		if first, dup := spelled[key]; dup {
			return nil, ambiguous(first, name)
		}
		spelled[key] = name
		fields[key] = v
	}
	if tok, err := dec.Token(); err != nil || tok != json.Delim('}') {
		return nil, notObject
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, badRequest(CodeInvalidJSON, "The request body must be one JSON object with nothing after it.")
	}
	return fields, nil
}

// ambiguous refuses a body that names one field twice, quoting both spellings (clipped: they
// come from the client).
func ambiguous(first, again string) *HTTPError {
	const maxShown = 64
	clip := func(s string) string {
		if r := []rune(s); len(r) > maxShown {
			return string(r[:maxShown]) + "…"
		}
		return s
	}
	if first == again {
		return badRequest(CodeAmbiguousBody, "The request body names %q twice, so it could be read two ways: send each field once.", clip(first))
	}
	return badRequest(CodeAmbiguousBody, "The request body names %q and %q, the same field (names match without regard to case), "+
		"so it could be read two ways: send each field once.", clip(first), clip(again))
}

// foldName maps a name to one spelling per case-insensitive equivalence class (each rune to
// the smallest rune of its Unicode simple-folding orbit), so that two names are equal under
// strings.EqualFold exactly when their foldNames are equal.
func foldName(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		least := r
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			least = min(least, f)
		}
		b.WriteRune(least)
	}
	return b.String()
}

// stringField reads an optional string field, matching its name without regard to case as the
// platform does (jsonObject has made the match unique).
func stringField(m bodyFields, name string, maxLen int) (string, *HTTPError) {
	v, ok := m[foldName(name)]
	if !ok || v == nil {
		return "", nil
	}
	s, ok := v.(string)
	if !ok {
		return "", badRequest(CodeBadRequest, "%s must be a string.", name)
	}
	if len(s) > maxLen {
		return "", badRequest(CodeBadRequest, "%s is longer than %d characters.", name, maxLen)
	}
	return s, nil
}

// cartBody validates an optional {"<field>": cart id} body and returns the cart id ("" when
// absent, null or empty). The platform client writes the body it forwards from it.
func cartBody(b []byte, field string) (string, *HTTPError) {
	m, herr := jsonObject(b)
	if herr != nil {
		return "", herr
	}
	cart, herr := stringField(m, field, 128)
	if herr != nil {
		return "", herr
	}
	if herr := cartParam(field, cart); herr != nil {
		return "", herr
	}
	return strings.Clone(cart), nil
}
