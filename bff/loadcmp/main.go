// Command loadcmp runs a short load comparison of the BFF, in one run, against two baselines
// built from the same repository: a bare net/http/httputil.ReverseProxy to the same sandbox,
// and a bare Fiber v2 hello world. It prints the ratios the fast path is held to (issue #8):
//
//	go run ./bff/loadcmp              # about 40 seconds
//	go run ./bff/loadcmp -d 1s        # shorter, noisier
//
// Every server runs in a process of its own (this binary, started again in another role), so
// the load generator shares no heap or scheduler with what it measures, and each server's RSS
// is its own. The machine's cores are shared by the generator and the server under load, as
// they are for every target alike: the ratios are the result, not the absolute numbers.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/valyala/fasthttp"
)

func main() {
	if role := os.Getenv("LOADCMP_ROLE"); role != "" {
		if err := serveRole(role); err != nil {
			fmt.Fprintln(os.Stderr, "loadcmp", role+":", err)
			os.Exit(1)
		}
		return
	}
	d := flag.Duration("d", 3*time.Second, "how long each measurement runs")
	conns := flag.Int("c", 16, "connections for the throughput runs")
	shoppers := flag.Int("shoppers", 10_000, "distinct shoppers for the memory run (0: skip it)")
	maxBytes := flag.Int64("max-bytes", 8<<20, "the BFF's CACHE_MAX_BYTES in the memory run")
	flag.Parse()
	if err := compare(*d, *conns, *shoppers, *maxBytes); err != nil {
		fmt.Fprintln(os.Stderr, "loadcmp:", err)
		os.Exit(1)
	}
}

// child is a server started in a role.
type child struct {
	name        string
	cmd         *exec.Cmd
	stdin       io.WriteCloser
	addr, stats string // host:port of the server and of its memory statistics
}

// start runs this binary again in a role, with env added, and reads the addresses it prints.
func start(role string, env ...string) (*child, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(self) //nolint:gosec // G204: this very binary, in another role
	cmd.Env = append(append(os.Environ(), "LOADCMP_ROLE="+role), env...)
	devnull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		return nil, err
	}
	cmd.Stderr = devnull // the BFF logs a line per request, as in production; not to a pipe we would have to drain
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		_ = cmd.Process.Kill()
		return nil, fmt.Errorf("%s did not start: %w", role, err)
	}
	f := strings.Fields(line)
	if len(f) != 2 {
		_ = cmd.Process.Kill()
		return nil, fmt.Errorf("%s printed %q", role, line)
	}
	return &child{name: role, cmd: cmd, stdin: stdin, addr: f[0], stats: f[1]}, nil
}

// stop ends a child: closing its stdin is its signal to exit.
func (c *child) stop() {
	_ = c.stdin.Close()
	done := make(chan struct{})
	go func() { _ = c.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		_ = c.cmd.Process.Kill()
		<-done
	}
}

// target is one kind of request to one server.
type target struct {
	name   string
	addr   string
	method string
	uri    string
	// distinct: every request asks for another purchase value (uri ends with
	// "purchaseValue="): a cache can answer none of them.
	distinct bool
	header   map[string]string
	body     string
	want     int // expected status
}

// result is one measurement.
type result struct {
	reqs     int
	rps      float64
	p50, p99 time.Duration
	errors   int
	lat      []time.Duration // every request's latency
	elapsed  time.Duration
}

// merge is the measurement of several runs of one target taken together.
func merge(rs []result) result {
	var m result
	for _, r := range rs {
		m.lat = append(m.lat, r.lat...)
		m.elapsed += r.elapsed
		m.errors += r.errors
	}
	slices.Sort(m.lat)
	m.reqs = len(m.lat)
	m.rps = float64(m.reqs) / m.elapsed.Seconds()
	if m.reqs > 0 {
		m.p50, m.p99 = m.lat[m.reqs/2], m.lat[m.reqs*99/100]
	}
	return m
}

// interleaved measures every target for d in all, in rounds (each target d/rounds per
// round, in turn), so that a change in the machine's load falls on every target alike.
func interleaved(ts []target, conns int, d time.Duration, rounds int) (map[string]result, error) {
	runs := map[string][]result{}
	for range rounds {
		for _, t := range ts {
			r, err := load(t, conns, d/time.Duration(rounds))
			if err != nil {
				return nil, err
			}
			runs[t.name] = append(runs[t.name], r)
		}
	}
	out := map[string]result{}
	for name, rs := range runs {
		out[name] = merge(rs)
	}
	return out, nil
}

// load sends requests to t over conns keep-alive connections for d, each connection sending
// its next request when the previous answer has arrived.
func load(t target, conns int, d time.Duration) (result, error) {
	hc := &fasthttp.HostClient{Addr: t.addr, MaxConns: conns, ReadTimeout: 10 * time.Second, WriteTimeout: 10 * time.Second}
	defer hc.CloseIdleConnections()
	// Warm up: connections open, caches filled, the first-call costs paid.
	for range conns * 2 {
		if err := do(hc, t); err != nil {
			return result{}, fmt.Errorf("%s: %w", t.name, err)
		}
	}
	var mu sync.Mutex
	var all []time.Duration
	errs := 0
	var wg sync.WaitGroup
	deadline := time.Now().Add(d)
	begin := time.Now()
	for range conns {
		wg.Go(func() {
			lat := make([]time.Duration, 0, 1<<16)
			bad := 0
			req, res := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
			defer fasthttp.ReleaseRequest(req)
			defer fasthttp.ReleaseResponse(res)
			prepare(req, t)
			uri := []byte("http://" + t.addr + t.uri)
			for time.Now().Before(deadline) {
				if t.distinct { // another purchase value every time: 1.01, 1.02, ...
					v := nextValue.Add(1)
					req.SetRequestURIBytes(strconv.AppendFloat(uri, float64(v)/100, 'f', 2, 64))
				}
				s := time.Now()
				err := hc.Do(req, res)
				lat = append(lat, time.Since(s))
				if err != nil || res.StatusCode() != t.want {
					bad++
				}
			}
			mu.Lock()
			all = append(all, lat...)
			errs += bad
			mu.Unlock()
		})
	}
	wg.Wait()
	elapsed := time.Since(begin)
	r := merge([]result{{lat: all, elapsed: elapsed}})
	r.errors = errs
	if errs > 0 {
		return r, fmt.Errorf("%s: %d of %d requests failed or answered another status than %d", t.name, errs, len(all), t.want)
	}
	return r, nil
}

// nextValue numbers the distinct purchase values, across every run of the process.
var nextValue atomic.Int64

func prepare(req *fasthttp.Request, t target) {
	req.Header.SetMethod(t.method)
	uri := "http://" + t.addr + t.uri
	if t.distinct {
		uri += strconv.FormatFloat(float64(nextValue.Add(1))/100, 'f', 2, 64)
	}
	req.SetRequestURI(uri)
	for k, v := range t.header {
		req.Header.Set(k, v)
	}
	if t.body != "" {
		req.Header.SetContentType("application/json")
		req.SetBodyString(t.body)
	}
}

func do(hc *fasthttp.HostClient, t target) error {
	req, res := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(res)
	prepare(req, t)
	if err := hc.Do(req, res); err != nil {
		return err
	}
	if res.StatusCode() != t.want {
		return fmt.Errorf("%s %s: %d %s", t.method, t.uri, res.StatusCode(), res.Body())
	}
	return nil
}

// call sends one request and returns the body.
func call(t target) ([]byte, error) {
	req, res := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(res)
	prepare(req, t)
	if err := fasthttp.DoTimeout(req, res, 10*time.Second); err != nil {
		return nil, err
	}
	if res.StatusCode() != t.want {
		return nil, fmt.Errorf("%s %s: %d %s", t.method, t.uri, res.StatusCode(), res.Body())
	}
	return append([]byte(nil), res.Body()...), nil
}

func machine() string {
	host, _ := os.Hostname()
	model := ""
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(l, "model name") {
				model = strings.TrimSpace(strings.SplitN(l, ":", 2)[1])
				break
			}
		}
	}
	load := ""
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		load = strings.Join(strings.Fields(string(b))[:3], " ")
	}
	return fmt.Sprintf("%s, %d cores (%s), %s, load average %s, %s", host, runtime.NumCPU(), model, runtime.Version(), load, time.Now().UTC().Format("2006-01-02 15:04 MST"))
}
