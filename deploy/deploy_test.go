package deploy_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/loyalty-checkout/bff-widget/internal/testenv"
)

func TestMain(m *testing.M) { os.Exit(testenv.Run(m)) }

var (
	podmanPart   = testenv.Program("podman", "apt-get install podman runc")
	promtoolPart = testenv.Program("promtool", "apt-get install prometheus")
)

// testKey is a BFF token key (id:base64 32 bytes), the same for every replica.
const testKey = "k1:EEzsWd91mPMeXfat+54I/Hqc7AazJpoPmn/jsFFcCjI="

// The image as production runs it: a sandbox and two BFF containers of the image on one Redis
// (Debian's, on the host), read-only root filesystems, non-root. A redeem through one replica
// is seen by a view through the other; SIGTERM drains a request in flight and exits 0; and
// the Deployment of deploy/k8s, played with `podman kube play`, comes up and is ready.
func TestImage(t *testing.T) {
	e := newEngine(t)
	redisURL := startRedis(t)
	const image = "localhost/loyalty-bff:test"
	e.build(image)
	size := e.run("image", "inspect", "--format", "{{.Size}}", image)
	t.Logf("image %s: %s bytes", image, size)
	if user := e.run("image", "inspect", "--format", "{{.Config.User}}", image); user == "" || strings.HasPrefix(user, "0") || user == "root" {
		t.Fatalf("the image runs as %q: want a user that is not root", user)
	}

	// The sandbox, from the same image, behind a proxy of the test's that holds one listing
	// (purchaseValue=777) for 2 s: a request in flight when SIGTERM comes.
	sandboxPort := freePort(t)
	e.container("lw-sandbox", image, []string{"-e", "METRICS_ADDR="}, "sandbox", "-sandbox-addr", fmt.Sprint("127.0.0.1:", sandboxPort))
	waitFor(t, fmt.Sprintf("http://127.0.0.1:%d/_sandbox/tenants", sandboxPort), 30*time.Second)
	target, _ := url.Parse(fmt.Sprint("http://127.0.0.1:", sandboxPort))
	rp := httputil.NewSingleHostReverseProxy(target)
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.Contains(r.URL.RawQuery, "purchaseValue=777") {
			time.Sleep(2 * time.Second)
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(slow.Close)

	cfg := t.TempDir()
	if err := os.Chmod(cfg, 0o755); err != nil {
		t.Fatal(err)
	}
	tenants := `{"tenants": [{"key": "demo", "upstream": "` + slow.URL + `", "locale": "pt-BR", "currency": "BRL"}]}`
	if err := os.WriteFile(filepath.Join(cfg, "tenants.json"), []byte(tenants), 0o644); err != nil {
		t.Fatal(err)
	}
	var bffs, metricsAddrs []string
	for _, name := range []string{"lw-bff-a", "lw-bff-b"} {
		port, metrics := freePort(t), freePort(t)
		metricsAddrs = append(metricsAddrs, fmt.Sprint("127.0.0.1:", metrics))
		e.container(name, image, []string{"-v", cfg + ":/cfg:ro", "-e", fmt.Sprint("ADDR=127.0.0.1:", port), "-e", fmt.Sprint("METRICS_ADDR=127.0.0.1:", metrics),
			"-e", "TENANTS=/cfg/tenants.json", "-e", "BFF_KEYS=" + testKey, "-e", "REDIS_URL=" + redisURL, "-e", "REPLICAS=2"})
		bffs = append(bffs, fmt.Sprint("http://127.0.0.1:", port))
		waitFor(t, bffs[len(bffs)-1]+"/readyz", 30*time.Second)
		waitFor(t, fmt.Sprintf("http://127.0.0.1:%d/metrics", metrics), 10*time.Second)
	}
	a, b := bffs[0], bffs[1]

	t.Run("a redeem through one replica is seen through the other", func(t *testing.T) {
		login := call(t, "POST", a+"/pub/widget/vendors/vtex/securelogin", "", `{"sessionToken":"ana","segmentToken":"x"}`)
		tok, _ := login.Item["SecureToken"].(string)
		if login.Status != 200 || tok == "" {
			t.Fatalf("login through A: %d %s", login.Status, login.Raw)
		}
		view := func(base string) answer {
			return call(t, "GET", base+"/bff/v1/checkout?purchaseValue=100&checkoutCode=cart-img&coupon=", tok, "")
		}
		before := view(b)
		if before.Status != 200 {
			t.Fatalf("view through B: %d %s", before.Status, before.Raw)
		}
		if r := call(t, "POST", a+"/pub/widget/rewards/redeem/302?purchaseValue=100", tok, `{"OriginalId":"cart-img"}`); r.Status != 200 {
			t.Fatalf("redeem through A: %d %s", r.Status, r.Raw)
		}
		after := view(b)
		if after.Status != 200 || len(after.Item["Redeemed"].([]any)) != len(before.Item["Redeemed"].([]any))+1 ||
			after.Item["PointsBalance"].(float64) != before.Item["PointsBalance"].(float64)-250 {
			t.Fatalf("B's view after A's redeem: %s (before: %s)", after.Raw, before.Raw)
		}
	})

	t.Run("Prometheus scrapes both replicas, and the funnel agrees with the ledger", func(t *testing.T) {
		prom := startPrometheus(t, metricsAddrs)
		// Ana's redeem above went through A; Bruno redeems through B.
		login := call(t, "POST", b+"/pub/widget/vendors/vtex/securelogin", "", `{"sessionToken":"bruno","segmentToken":"x"}`)
		tok, _ := login.Item["SecureToken"].(string)
		call(t, "GET", b+"/bff/v1/checkout?purchaseValue=200&checkoutCode=cart-prom&coupon=", tok, "")
		red := call(t, "POST", b+"/pub/widget/rewards/redeem/301?purchaseValue=200", tok, `{"OriginalId":"cart-prom"}`)
		if red.Status != 200 {
			t.Fatalf("redeem through B: %d %s", red.Status, red.Raw)
		}
		// The widget's word, through A: the coupon is in the cart; then the shopper removes it.
		coupon, _ := red.Item["CouponCode"].(string)
		if r := call(t, "POST", a+"/bff/v1/applied", tok, `{"CheckoutCode":"cart-prom","CouponCode":"`+coupon+`"}`); r.Status != 204 {
			t.Fatalf("applied through A: %d %s", r.Status, r.Raw)
		}
		reward, _ := red.Item["Reward"].(map[string]any)
		if r := call(t, "POST", fmt.Sprintf("%s/pub/widget/rewards/checkout/%v/reverse?why=removed", a, reward["RedeemedId"]), tok, ""); r.Status != 200 {
			t.Fatalf("reverse through A: %d %s", r.Status, r.Raw)
		}
		if r := call(t, "POST", b+"/bff/v1/order", tok, `{"CheckoutCode":"cart-prom"}`); r.Status != 204 {
			t.Fatalf("order through B: %d %s", r.Status, r.Raw)
		}
		debits, credits, spent, returned := 0, 0, 0.0, 0.0
		for _, user := range []string{"ana@example.com", "bruno@example.com"} {
			r := call(t, "GET", fmt.Sprintf("http://127.0.0.1:%d/_sandbox/tenants/demo/shoppers/%s", sandboxPort, user), "", "")
			entries, _ := r.Item["Ledger"].([]any)
			for _, e := range entries {
				e := e.(map[string]any)
				p, _ := e["Points"].(float64)
				switch e["Kind"] {
				case "debit":
					debits++
					spent += max(p, -p)
				case "credit":
					credits++
					returned += max(p, -p)
				}
			}
		}
		if debits != 2 || credits != 1 {
			t.Fatalf("the ledger has %d debits and %d credits, want 2 and 1", debits, credits)
		}
		for _, c := range []struct{ q, want string }{
			{`count(up{job="bff"} == 1)`, "2"}, // both replicas scraped
			{`sum(bff_funnel_total{tenant="demo",step="redeem"})`, fmt.Sprint(debits)},
			{`sum(bff_funnel_total{tenant="demo",step="reverse"})`, fmt.Sprint(credits)},
			{`sum(bff_points_total{tenant="demo",direction="spent"})`, fmt.Sprint(spent)},
			{`sum(bff_points_total{tenant="demo",direction="returned"})`, fmt.Sprint(returned)},
			{`sum(bff_funnel_total{tenant="demo",step="confirmed"})`, "1"},
			{`sum(bff_funnel_total{tenant="demo",step="removed"})`, "1"},
			{`sum(bff_funnel_total{tenant="demo",step="order"})`, "1"},
		} {
			var got string
			for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(500 * time.Millisecond) {
				if got = promQuery(t, prom, c.q); got == c.want || time.Now().After(deadline) {
					break
				}
			}
			if got != c.want {
				t.Errorf("Prometheus: %s = %q, want %s", c.q, got, c.want)
			}
		}
		checkDashboard(t, prom, metricsAddrs[0])
		renderFunnel(t, prom, "demo")
	})

	t.Run("SIGTERM drains the request in flight and exits 0", func(t *testing.T) {
		e := e.with(t)
		login := call(t, "POST", a+"/pub/widget/vendors/vtex/securelogin", "", `{"sessionToken":"bruno","segmentToken":"x"}`)
		tok, _ := login.Item["SecureToken"].(string)
		done := make(chan answer, 1)
		go func() { done <- call(t, "GET", a+"/pub/widget/rewards/checkout?purchaseValue=777", tok, "") }()
		time.Sleep(700 * time.Millisecond) // the listing is at the platform (held 2 s)
		e.run("kill", "--signal", "TERM", "lw-bff-a")
		select {
		case r := <-done:
			if r.Status != 200 {
				t.Fatalf("the request in flight at SIGTERM: %d %s", r.Status, r.Raw)
			}
		case <-time.After(15 * time.Second):
			t.Fatal("the request in flight at SIGTERM got no answer")
		}
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		c := e.cmd("wait", "lw-bff-a")
		out, err := exec.CommandContext(ctx, c.Path, c.Args[1:]...).CombinedOutput()
		if err != nil || strings.TrimSpace(string(out)) != "0" {
			t.Fatalf("podman wait: %v, exit code %q (want 0)", err, out)
		}
	})

	t.Run("the Deployment of deploy/k8s comes up under podman kube play", func(t *testing.T) {
		e := e.with(t)
		raw, err := os.ReadFile("k8s/bff.yaml")
		if err != nil {
			t.Fatal(err)
		}
		port := freePort(t)
		doc := playable(string(raw), image, port, redisURL, tenants)
		play := filepath.Join(t.TempDir(), "play.yaml")
		if err := os.WriteFile(play, []byte(doc), 0o644); err != nil {
			t.Fatal(err)
		}
		e.run("kube", "play", "--network", "host", play)
		t.Cleanup(func() {
			if t.Failed() {
				out, _ := e.cmd("logs", "--tail", "20", "loyalty-bff-pod-0-bff").CombinedOutput()
				t.Logf("the pod's last lines:\n%s", out)
			}
			_ = e.cmd("kube", "down", play).Run()
			_ = e.cmd("volume", "rm", "-f", "loyalty-bff-keys", "loyalty-bff-tenants").Run()
		})
		waitFor(t, fmt.Sprintf("http://127.0.0.1:%d/readyz", port), 30*time.Second)
		r := call(t, "GET", fmt.Sprintf("http://127.0.0.1:%d/healthz", port), "", "")
		var h struct{ Commit string }
		_ = json.Unmarshal([]byte(r.Raw), &h)
		if r.Status != 200 || h.Commit == "" {
			t.Fatalf("/healthz of the played pod: %d %s (want the commit stamped)", r.Status, r.Raw)
		}
	})
}

// checkDashboard: every query of the Grafana dashboard is one this Prometheus runs, and every
// series it names is one the BFF exports (or lists) or the rules record (a renamed metric would leave a
// panel empty, silently).
func checkDashboard(t *testing.T, prom, metricsAddr string) {
	t.Helper()
	raw, err := os.ReadFile("grafana-dashboard.json")
	if err != nil {
		t.Fatal(err)
	}
	var exprs []string
	for _, m := range regexp.MustCompile(`"expr":\s*("(?:[^"\\]|\\.)*")`).FindAllSubmatch(raw, -1) {
		var e string
		if err := json.Unmarshal(m[1], &e); err != nil {
			t.Fatal(err)
		}
		exprs = append(exprs, e)
	}
	if len(exprs) < 10 {
		t.Fatalf("the dashboard has %d queries; did its shape change?", len(exprs))
	}
	res, err := http.Get("http://" + metricsAddr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	exported, _ := io.ReadAll(res.Body)
	res.Body.Close()
	rules, err := os.ReadFile("prometheus/rules.yml")
	if err != nil {
		t.Fatal(err)
	}
	// A counter no event has touched yet is not in the scrape; the BFF lists every metric at
	// the top of its metrics.go.
	listed, err := os.ReadFile("../bff/metrics.go")
	if err != nil {
		t.Fatal(err)
	}
	known := func(name string) bool {
		return bytes.Contains(exported, []byte("# TYPE "+name+" ")) || bytes.Contains(rules, []byte("record: "+name+"\n")) ||
			bytes.Contains(listed, []byte("//\t"+name+"{"))
	}
	series := regexp.MustCompile(`[a-z_:]*bff_[a-z_:0-9]*[a-z0-9]`)
	for _, e := range exprs {
		for _, name := range series.FindAllString(e, -1) {
			if !known(name) {
				t.Errorf("dashboard query %s names %s, which neither the BFF exports nor a rule records", e, name)
			}
		}
		q := strings.NewReplacer("$tenant", ".*", "$__range", "5m", "$__rate_interval", "1m").Replace(e)
		res, err := http.Get("http://" + prom + "/api/v1/query?query=" + url.QueryEscape(q))
		if err != nil {
			t.Fatal(err)
		}
		var body struct{ Status, Error string }
		err = json.NewDecoder(res.Body).Decode(&body)
		res.Body.Close()
		if err != nil || body.Status != "success" {
			t.Errorf("dashboard query %s: Prometheus says %s %s (%v)", q, body.Status, body.Error, err)
		}
	}
}

// The alert and recording rules pass promtool's check and its unit tests.
func TestPrometheusRules(t *testing.T) {
	promtool := testenv.Need(t, promtoolPart)
	for _, args := range [][]string{{"check", "rules", "prometheus/rules.yml"}, {"test", "rules", "prometheus/rules_test.yml"}} {
		out, err := exec.Command(promtool, args...).CombinedOutput()
		if err != nil || !bytes.Contains(out, []byte("SUCCESS")) {
			t.Errorf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
}
