package bff

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"

	dto "github.com/prometheus/client_model/go"

	"github.com/loyalty-checkout/bff-widget/bff/platform"
	"github.com/loyalty-checkout/bff-widget/sandbox"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// countingSandbox is a real sandbox (tenants "demo" and "other"; other's platform allows one
// call a second, and the test's clock stands still) that counts the calls it answers by
// tenant, class and status, and can hold the next listing call until the test releases it.
type countingSandbox struct {
	url   string
	mu    sync.Mutex
	calls map[[3]string]int // tenant, class, status
	hold  *metricsHold
}

type metricsHold struct{ arrived, release chan struct{} }

func startCountingSandbox(t *testing.T, c *clock) *countingSandbox {
	t.Helper()
	seed := twoTenantSeed()
	seed.Tenants[1].RateLimit = &sandbox.RateLimit{PerSecond: 1}
	sb, err := sandbox.New(sandbox.Options{Seed: seed, Now: c.Now, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	cs := &countingSandbox{calls: map[[3]string]int{}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		class := classMoney.String() // redeem, use-redeemed, reverse, the applied state
		switch {
		case strings.HasSuffix(r.URL.Path, "/securelogin"):
			class = classLogin.String()
		case r.Method == http.MethodGet:
			class = classListing.String()
		}
		cs.mu.Lock()
		h := cs.hold
		if class == classListing.String() {
			cs.hold = nil
		}
		cs.mu.Unlock()
		rec := httptest.NewRecorder()
		sb.ServeHTTP(rec, r)
		if h != nil && class == classListing.String() {
			close(h.arrived)
			<-h.release
		}
		cs.mu.Lock()
		cs.calls[[3]string{r.Header.Get(platform.HeaderTenant), class, strconv.Itoa(rec.Code)}]++
		cs.mu.Unlock()
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())
	}))
	t.Cleanup(srv.Close)
	cs.url = srv.URL
	return cs
}

// holdNextListing makes the next listing call wait (arrived is closed when it has reached the
// sandbox) until release is closed.
func (cs *countingSandbox) holdNextListing() *metricsHold {
	h := &metricsHold{arrived: make(chan struct{}), release: make(chan struct{})}
	cs.mu.Lock()
	cs.hold = h
	cs.mu.Unlock()
	return h
}

func (cs *countingSandbox) counts() map[[3]string]int {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	out := map[[3]string]int{}
	for k, v := range cs.calls {
		out[k] = v
	}
	return out
}

// scraped is one scrape, parsed.
type scraped struct {
	t   *testing.T
	fam map[string]*dto.MetricFamily
	raw string
}

// scrapeMetrics serves s.Metrics() over real HTTP and returns a function that scrapes it.
func scrapeMetrics(t *testing.T, s *Server) func() scraped {
	t.Helper()
	srv := httptest.NewServer(s.Metrics())
	t.Cleanup(srv.Close)
	return func() scraped {
		t.Helper()
		res, err := http.Get(srv.URL + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/plain") {
			t.Fatalf("metrics: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
		}
		var raw strings.Builder
		p := expfmt.NewTextParser(model.UTF8Validation)
		fam, err := p.TextToMetricFamilies(teeReader{res.Body, &raw})
		if err != nil {
			t.Fatalf("metrics do not parse: %v", err)
		}
		return scraped{t: t, fam: fam, raw: raw.String()}
	}
}

type teeReader struct {
	r interface{ Read([]byte) (int, error) }
	w *strings.Builder
}

func (t teeReader) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	t.w.Write(p[:n])
	return n, err
}

// series returns the metrics of a family whose labels include every name=value pair given.
func (s scraped) series(name string, labels ...string) []*dto.Metric {
	f := s.fam[name]
	if f == nil {
		return nil
	}
	var out []*dto.Metric
	for _, m := range f.GetMetric() {
		have := map[string]string{}
		for _, l := range m.GetLabel() {
			have[l.GetName()] = l.GetValue()
		}
		ok := true
		for i := 0; i+1 < len(labels); i += 2 {
			ok = ok && have[labels[i]] == labels[i+1]
		}
		if ok {
			out = append(out, m)
		}
	}
	return out
}

// value is the one series' value (a histogram's count); 0 when there is no such series.
func (s scraped) value(name string, labels ...string) float64 {
	s.t.Helper()
	ms := s.series(name, labels...)
	switch {
	case len(ms) == 0:
		return 0
	case len(ms) > 1:
		s.t.Fatalf("%s%v: %d series", name, labels, len(ms))
	}
	m := ms[0]
	switch {
	case m.Counter != nil:
		return m.GetCounter().GetValue()
	case m.Gauge != nil:
		return m.GetGauge().GetValue()
	case m.Histogram != nil:
		return float64(m.GetHistogram().GetSampleCount())
	}
	s.t.Fatalf("%s: neither counter, gauge nor histogram", name)
	return 0
}

func (s scraped) sum(name string, labels ...string) float64 {
	total := 0.0
	for _, m := range s.series(name, labels...) {
		total += m.GetCounter().GetValue()
	}
	return total
}

func (s scraped) want(name string, want float64, labels ...string) {
	s.t.Helper()
	if got := s.value(name, labels...); got != want {
		s.t.Errorf("%s%v = %v, want %v", name, labels, got, want)
	}
}
