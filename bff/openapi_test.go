package bff

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"

	"github.com/loyalty-checkout/bff-widget/bff/platform"
	"github.com/loyalty-checkout/bff-widget/internal/testenv"
)

// Every answer the tests of this package get from a BFF, and every answer the sandbox gives
// the BFF on the contract's seven paths, is validated against openapi.json (pb33f's
// libopenapi-validator: OpenAPI 3.1). A violation fails the run (TestMain), naming the call:
// the document cannot drift from the code without a test saying so.

var (
	specOnce sync.Once
	spec     validator.Validator
	specErr  error

	specMu       sync.Mutex
	specProblems []string
	specCovered  = map[string]bool{} // "METHOD /path status" validated at least once
)

func specValidator() (validator.Validator, error) {
	specOnce.Do(func() {
		doc, err := libopenapi.NewDocument(openAPI)
		if err != nil {
			specErr = err
			return
		}
		v, errs := validator.NewValidator(doc)
		if len(errs) > 0 {
			specErr = fmt.Errorf("%v", errs)
			return
		}
		if ok, verrs := v.ValidateDocument(); !ok {
			specErr = fmt.Errorf("openapi.json is not a valid OpenAPI 3.1 document: %v", verrs)
			return
		}
		spec = v
	})
	return spec, specErr
}

// contractPaths are the sandbox's paths the document describes (its /_sandbox/ inspection
// paths are not the BFF's API).
func contractPath(path string) bool { return strings.HasPrefix(path, "/pub/widget/") }

// checkAnswer validates one answer against the document. Paths the document does not have
// (an unknown path's 404, the tests' own routes) are skipped: only a described path and
// status can be held to a description.
func checkAnswer(who string, req *http.Request, status int, header http.Header, raw []byte) {
	v, err := specValidator()
	if err != nil {
		recordSpecProblem(fmt.Sprintf("loading openapi.json: %v", err))
		return
	}
	res := &http.Response{StatusCode: status, Header: header.Clone(), Body: io.NopCloser(bytes.NewReader(raw)), Request: req}
	if enc := header.Get("Content-Encoding"); enc != "" {
		return // the body checked is the one sent uncompressed to other tests
	}
	ok, errs := v.ValidateHttpResponse(req, res)
	if ok && who == "the BFF" && status >= 400 && !bytes.Contains(raw, []byte(`"ErrorCode":"`)) {
		recordSpecProblem(fmt.Sprintf("the BFF answered %s %s with %d without an ErrorCode: %.300s", req.Method, req.URL.RequestURI(), status, raw))
		return
	}
	if ok {
		specMu.Lock()
		specCovered[req.Method+" "+req.URL.Path+" "+fmt.Sprint(status)] = true
		specMu.Unlock()
		return
	}
	var msgs []string
	for _, e := range errs {
		if e.ValidationType == "path" || strings.Contains(e.Message, "not found") && e.ValidationSubType == "missing" {
			return
		}
		m := e.Message + ": " + e.Reason
		for _, s := range e.SchemaValidationErrors {
			m += fmt.Sprintf("\n      %s at %s", s.Reason, s.FieldPath)
		}
		msgs = append(msgs, m)
	}
	recordSpecProblem(fmt.Sprintf("%s answered %s %s with %d, which openapi.json does not describe:\n    %s\n    body: %.400s",
		who, req.Method, req.URL.RequestURI(), status, strings.Join(msgs, "\n    "), raw))
}

func recordSpecProblem(p string) {
	specMu.Lock()
	defer specMu.Unlock()
	specProblems = append(specProblems, p)
}

// specCheckedHandler wraps the sandbox: each answer on a contract path is validated.
func specCheckedHandler(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !contractPath(r.URL.Path) {
			h.ServeHTTP(w, r)
			return
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		for k, vs := range rec.Header() {
			w.Header()[k] = vs
		}
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())
		checkAnswer("the sandbox", r, rec.Code, rec.Header(), rec.Body.Bytes())
	})
}

func TestMain(m *testing.M) {
	code := testenv.Run(m) // ends with a line of what was skipped, if anything
	specMu.Lock()
	problems := specProblems
	specMu.Unlock()
	if len(problems) > 0 {
		fmt.Fprintf(os.Stderr, "FAIL: %d answers do not match openapi.json:\n", len(problems))
		for _, p := range problems {
			fmt.Fprintln(os.Stderr, "  "+p)
		}
		code = 1
	}
	if os.Getenv("OPENAPI_COVERAGE") != "" {
		var seen []string
		for k := range specCovered {
			seen = append(seen, k)
		}
		sort.Strings(seen)
		fmt.Fprintln(os.Stderr, strings.Join(seen, "\n"))
	}
	os.Exit(code)
}

// TestOpenAPIDocument: the document is valid OpenAPI 3.1, served at /openapi.json as it is in
// the repository, and names every path the BFF routes and every ErrorCode it has.
func TestOpenAPIDocument(t *testing.T) {
	if _, err := specValidator(); err != nil {
		t.Fatal(err)
	}
	c := newClock()
	sb, _ := startSandbox(t, c)
	b := startBFF(t, c, sb.URL, nil)
	r := b.do("GET", "/openapi.json", nil, "")
	if r.Status != 200 || !bytes.Equal(r.Raw, openAPI) || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("/openapi.json: %d %s, %d bytes", r.Status, r.Header.Get("Content-Type"), len(r.Raw))
	}
	doc := string(openAPI)
	for _, p := range []string{platform.PathLogin, platform.PathRewards, platform.PathRedeemed, platform.PathRedeem,
		platform.PathUseRedeemed, platform.PathApplied, platform.PathReverse, PathCheckout, PathSession, PathBeacon, PathOrder,
		"/healthz", "/readyz", "/openapi.json", "/widget.js", "/widget.json", "/loyalty-widget.d.ts"} {
		if !strings.Contains(doc, `"`+p+`"`) {
			t.Errorf("openapi.json lacks the path %s", p)
		}
	}
	for _, code := range allErrorCodes {
		if !strings.Contains(doc, `"`+code+`"`) {
			t.Errorf("openapi.json lacks the ErrorCode %s", code)
		}
	}
}

// allErrorCodes lists the package's ErrorCodes, for the document's enum.
var allErrorCodes = []string{CodeBadRequest, CodeInvalidPurchase, CodeInvalidID, CodeInvalidJSON, CodeAmbiguousBody,
	CodeMissingOriginalID, CodeBodyTooLarge, CodeMissingTenant, CodeUnknownTenant, CodeOriginNotAllowed, CodeUnauthorized,
	CodeNotFound, CodeMethodNotAllowed, CodeRateLimited, CodeUpstreamError, CodeUpstreamTimeout, CodeUpstreamUnreachable,
	CodeUpstreamBadAnswer, CodeUpstreamUnavailable, CodeInternal, CodeClientClosed, CodeAnswerTooLarge, CodeUpstreamBusy,
	CodeClientRateLimited}
