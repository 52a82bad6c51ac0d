package deploy_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
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

// engine runs podman as it works on this kind of machine (and on any other): vfs storage,
// runc, cgroupfs, the host's network, and a containers.conf without default ulimits.
type engine struct {
	t    *testing.T
	bin  string
	conf string
}

func newEngine(t *testing.T) *engine {
	bin := testenv.Need(t, podmanPart)
	dir := t.TempDir()
	conf := filepath.Join(dir, "containers.conf")
	if err := os.WriteFile(conf, []byte("[containers]\ndefault_ulimits = []\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return &engine{t: t, bin: bin, conf: conf}
}

// with is the engine for a subtest: its failures are the subtest's.
func (e *engine) with(t *testing.T) *engine { c := *e; c.t = t; return &c }

func (e *engine) cmd(args ...string) *exec.Cmd {
	c := exec.Command(e.bin, append([]string{"--storage-driver", "vfs", "--runtime", "runc", "--cgroup-manager", "cgroupfs"}, args...)...)
	c.Env = append(os.Environ(), "CONTAINERS_CONF="+e.conf)
	return c
}

// run runs podman and returns its output, failing the test when it fails.
func (e *engine) run(args ...string) string {
	e.t.Helper()
	out, err := e.cmd(args...).CombinedOutput()
	if err != nil {
		e.t.Fatalf("podman %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// build builds the image as deploy/build-image does, once per test run.
func (e *engine) build(tag string) {
	e.t.Helper()
	root, err := filepath.Abs("..")
	if err != nil {
		e.t.Fatal(err)
	}
	c := exec.Command(filepath.Join(root, "deploy", "build-image"), tag)
	c.Env = append(os.Environ(), "CONTAINERS_CONF="+e.conf, "PODMAN="+e.bin+" --storage-driver vfs --runtime runc --cgroup-manager cgroupfs")
	if out, err := c.CombinedOutput(); err != nil {
		e.t.Fatalf("deploy/build-image: %v\n%s", err, out)
	}
	e.t.Cleanup(func() { _ = e.cmd("rmi", "-f", tag).Run() })
}

// container starts a container of the image (podman run's opts, then the command's args) on
// the host's network, read-only, and removes it at the end.
func (e *engine) container(name, image string, opts []string, args ...string) {
	e.t.Helper()
	_ = e.cmd("rm", "-f", name).Run()
	run := append([]string{"run", "-d", "--name", name, "--network", "host", "--read-only"}, opts...)
	e.run(append(append(run, image), args...)...)
	e.t.Cleanup(func() {
		if e.t.Failed() {
			out, _ := e.cmd("logs", "--tail", "20", name).CombinedOutput()
			e.t.Logf("%s's last lines:\n%s", name, out)
		}
		_ = e.cmd("rm", "-f", "-t", "0", name).Run()
	})
}

func freePort(t *testing.T) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func waitFor(t *testing.T, url string, within time.Duration) {
	t.Helper()
	for deadline := time.Now().Add(within); ; time.Sleep(100 * time.Millisecond) {
		if res, err := http.Get(url); err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not answer 200 within %v", url, within)
		}
	}
}

// startRedis starts Debian's redis-server on a free port, for the replicas to share.
func startRedis(t *testing.T) string {
	bin := testenv.Need(t, testenv.RedisServer)
	port := freePort(t)
	c := exec.Command(bin, "--port", fmt.Sprint(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no")
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Process.Kill(); _ = c.Wait() })
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if conn, err := net.Dial("tcp", fmt.Sprint("127.0.0.1:", port)); err == nil {
			conn.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("redis-server did not listen")
		}
	}
	return fmt.Sprintf("redis://127.0.0.1:%d/0", port)
}

type answer struct {
	Status int
	Item   map[string]any
	Raw    string
}

func call(t *testing.T, method, url, token, body string) answer {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	req.Header.Set("X-Bq-Tenant", "demo")
	if token != "" {
		req.Header.Set("X-Bq-SecureToken", token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	var env struct{ Item map[string]any }
	_ = json.Unmarshal(raw, &env)
	return answer{Status: res.StatusCode, Item: env.Item, Raw: string(raw)}
}

// playable is deploy/k8s/bff.yaml as this machine can play it: the image built here, one
// replica on the host's network (no port mappings there), on addresses and a Redis of the
// test's, the test's tenants, and the keys as a ConfigMap (podman 4.3, Debian 12's, does not
// mount a Secret's keys as files; a cluster does).
func playable(doc, image string, port int, redisURL, tenants string) string {
	r := strings.NewReplacer(
		"image: loyalty-bff:latest", "image: "+image,
		"replicas: 3", "replicas: 1",
		`{name: ADDR, value: ":8080"}`, fmt.Sprintf(`{name: ADDR, value: "127.0.0.1:%d"}`, port),
		`{name: METRICS_ADDR, value: ":9090"}`, `{name: METRICS_ADDR, value: ""}`,
		"redis://loyalty-bff-redis:6379/0", redisURL,
		"port: http}", fmt.Sprintf("port: %d}", port),
		`keys: "k1:REPLACE-WITH-A-BASE64-32-BYTE-SECRET"`, `keys: "`+testKey+`"`,
		"kind: Secret\nmetadata:\n  name: loyalty-bff-keys\ntype: Opaque\nstringData:", "kind: ConfigMap\nmetadata:\n  name: loyalty-bff-keys\ndata:",
		"secret: {secretName: loyalty-bff-keys, optional: false}", "configMap: {name: loyalty-bff-keys, optional: false}",
	)
	doc = r.Replace(doc)
	doc = regexp.MustCompile(`(?m)^          ports:\n(?:            - .*\n)+`).ReplaceAllString(doc, "")
	doc = regexp.MustCompile(`(?s)tenants\.json: \|\n.*?\n---`).ReplaceAllString(doc, "tenants.json: |\n    "+tenants+"\n---")
	return doc
}

// startPrometheus starts Debian's prometheus scraping targets every second, and returns its
// address.
func startPrometheus(t *testing.T, targets []string) string {
	bin := testenv.Need(t, testenv.Program("prometheus", "apt-get install prometheus"))
	dir := t.TempDir()
	cfg := filepath.Join(dir, "prometheus.yml")
	conf := "global: {scrape_interval: 1s, evaluation_interval: 1s}\nrule_files: [" + mustAbs(t, "prometheus/rules.yml") + "]\n" +
		"scrape_configs:\n  - job_name: bff\n    static_configs:\n      - targets: ['" + strings.Join(targets, "', '") + "']\n"
	if err := os.WriteFile(cfg, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	addr := fmt.Sprint("127.0.0.1:", freePort(t))
	c := exec.Command(bin, "--config.file="+cfg, "--storage.tsdb.path="+filepath.Join(dir, "data"), "--web.listen-address="+addr)
	var log bytes.Buffer
	c.Stdout, c.Stderr = &log, &log
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = c.Process.Kill()
		_ = c.Wait()
		if t.Failed() {
			t.Logf("prometheus said:\n%s", log.String())
		}
	})
	waitFor(t, "http://"+addr+"/-/ready", 30*time.Second)
	return addr
}

func mustAbs(t *testing.T, p string) string {
	a, err := filepath.Abs(p)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// promQuery is an instant query's one value ("" when it has none).
func promQuery(t *testing.T, addr, q string) string {
	res, err := http.Get("http://" + addr + "/api/v1/query?query=" + url.QueryEscape(q))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var body struct {
		Data struct {
			Result []struct {
				Value []any `json:"value"`
			} `json:"result"`
		} `json:"data"`
	}
	if err := json.NewDecoder(res.Body).Decode(&body); err != nil || len(body.Data.Result) != 1 || len(body.Data.Result[0].Value) != 2 {
		return ""
	}
	v, _ := body.Data.Result[0].Value[1].(string)
	return v
}
