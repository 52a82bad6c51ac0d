package bff

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"
)

// upstream calls a loyalty platform. One client (and so one connection pool) serves every
// tenant; each tenant's base URL comes from the configuration only.
type upstream struct {
	client  *http.Client
	timeout time.Duration
	maxBody int64
}

func newUpstream(o *Options) *upstream {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.DialContext = (&net.Dialer{Timeout: o.DialTimeout, KeepAlive: 30 * time.Second}).DialContext
	tr.TLSHandshakeTimeout = o.DialTimeout
	tr.ResponseHeaderTimeout = o.UpstreamTimeout
	tr.MaxIdleConns = 256
	tr.MaxIdleConnsPerHost = 64
	tr.IdleConnTimeout = 90 * time.Second
	return &upstream{client: &http.Client{Transport: tr, CheckRedirect: noRedirects}, timeout: o.UpstreamTimeout, maxBody: o.MaxUpstreamBody}
}

// noRedirects: the platform's API does not redirect; following one would send the shopper's
// SecureToken somewhere the configuration did not name.
func noRedirects(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// upstreamCall is one request to the platform.
type upstreamCall struct {
	method, url   string
	tenant, token string // X-Bq-Tenant (set by Server.call), X-Bq-SecureToken ("" for the login)
	body          []byte // nil: no body
}

// upstreamReply is an answer in the envelope: its status and raw JSON body.
type upstreamReply struct {
	status int
	body   []byte
}

// do runs one call. Answers in the envelope come back whatever their status; every other
// outcome is an *HTTPError: 504 on timeout, 502 when unreachable or not JSON, 429 with
// Retry-After when the platform limits us.
func (u *upstream) do(ctx context.Context, c upstreamCall) (upstreamReply, *HTTPError) {
	ctx, cancel := context.WithTimeout(ctx, u.timeout)
	defer cancel()
	var body io.Reader
	if c.body != nil {
		body = bytes.NewReader(c.body)
	}
	req, err := http.NewRequestWithContext(ctx, c.method, c.url, body)
	if err != nil {
		return upstreamReply{}, &HTTPError{Code: http.StatusInternalServerError, ErrorCode: CodeInternal, Msg: "Internal error.", Err: err}
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("X-Bq-Tenant", c.tenant)
	if c.token != "" {
		req.Header.Set("X-Bq-SecureToken", c.token)
	}
	if c.body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := u.client.Do(req)
	if err != nil {
		return upstreamReply{}, classify(ctx, err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(res.Body, u.maxBody+1))
	if err != nil {
		return upstreamReply{}, classify(ctx, err)
	}
	if res.StatusCode == http.StatusTooManyRequests {
		ra := res.Header.Get("Retry-After")
		if ra == "" {
			ra = "1"
		}
		return upstreamReply{}, rateLimited(ra)
	}
	if int64(len(raw)) > u.maxBody {
		return upstreamReply{}, badAnswer(fmt.Errorf("upstream body over %d bytes", u.maxBody))
	}
	if !isEnvelope(raw) {
		return upstreamReply{}, badAnswer(fmt.Errorf("upstream %d answered non-JSON (%d bytes)", res.StatusCode, len(raw)))
	}
	return upstreamReply{status: res.StatusCode, body: raw}, nil
}

func classify(ctx context.Context, err error) *HTTPError {
	var ne net.Error
	if errors.Is(err, context.DeadlineExceeded) || ctx.Err() != nil || (errors.As(err, &ne) && ne.Timeout()) {
		return &HTTPError{Code: http.StatusGatewayTimeout, ErrorCode: CodeUpstreamTimeout,
			Msg: "The loyalty programme took too long to answer.", Err: err}
	}
	return &HTTPError{Code: http.StatusBadGateway, ErrorCode: CodeUpstreamUnreachable,
		Msg: "The loyalty programme cannot be reached right now.", Err: err}
}

// isEnvelope tells whether a body is one JSON object with the contract's HasError field.
func isEnvelope(b []byte) bool {
	b = bytes.TrimSpace(b)
	return len(b) > 0 && b[0] == '{' && json.Valid(b) && bytes.Contains(b, []byte(`"HasError"`))
}
