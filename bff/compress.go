package bff

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/andybalholm/brotli"
	"github.com/klauspost/compress/gzip"
)

// encoding is a content coding of an answer.
type encoding int

const (
	identity encoding = iota
	gzipped
	brotlied
)

func (e encoding) String() string { return [...]string{"identity", "gzip", "br"}[e] }

// acceptedEncoding picks what to send from an Accept-Encoding header: brotli (the smallest)
// when accepted, else gzip, else the bytes as they are. "q=0" refuses a coding; "*" stands
// for any not named.
func acceptedEncoding(header string) encoding {
	if header == "" {
		return identity
	}
	br, gz, any := -1.0, -1.0, -1.0
	for part := range strings.SplitSeq(header, ",") {
		name, params, _ := strings.Cut(part, ";")
		name = strings.ToLower(strings.TrimSpace(name))
		q := 1.0
		if k, v, ok := strings.Cut(strings.TrimSpace(params), "="); ok && strings.EqualFold(strings.TrimSpace(k), "q") {
			if f, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil {
				q = f
			}
		}
		switch name {
		case "br":
			br = q
		case "gzip", "x-gzip":
			gz = q
		case "*":
			any = q
		}
	}
	if br < 0 {
		br = any
	}
	if gz < 0 {
		gz = any
	}
	switch {
	case br > 0 && br >= gz:
		return brotlied
	case gz > 0:
		return gzipped
	}
	return identity
}

// payload is a JSON answer: its bytes, and their compressed forms, each made on first use and
// kept (a cached answer is compressed once, not on every hit).
type payload struct {
	raw    []byte
	min    int // compressed only from this size; negative: never
	br, gz atomic.Pointer[coded]
	grown  func(int64) // told how many bytes a compressed form adds (the cache counts them)
}

// coded is a payload's bytes in one coding (identity when compressing did not make it smaller).
type coded struct {
	b   []byte
	enc encoding
}

func newPayload(raw []byte, minCompressed int) *payload {
	return &payload{raw: raw, min: minCompressed}
}

// compressible tells whether the payload is sent compressed to a client that accepts it.
func (p *payload) compressible() bool { return p.min >= 0 && len(p.raw) >= p.min }

// encoded returns the bytes to send for what the client accepts, and their coding.
func (p *payload) encoded(want encoding) ([]byte, encoding) {
	if want == identity || !p.compressible() {
		return p.raw, identity
	}
	slot := &p.br
	if want == gzipped {
		slot = &p.gz
	}
	if c := slot.Load(); c != nil {
		return c.b, c.enc
	}
	c := &coded{b: compress(p.raw, want, false), enc: want}
	if len(c.b) >= len(p.raw) {
		c = &coded{b: p.raw, enc: identity} // not worth it
	}
	if slot.CompareAndSwap(nil, c) && c.enc != identity && p.grown != nil {
		p.grown(int64(len(c.b)))
	}
	c = slot.Load()
	return c.b, c.enc
}

// Compression levels: answers are compressed when first asked for, so a middle level (fast,
// and most of the gain on JSON); the widget's files once at start, so the best.
const (
	answerBrotliLevel = 5
	answerGzipLevel   = 6
)

var (
	brotliWriters = sync.Pool{New: func() any { return brotli.NewWriterLevel(nil, answerBrotliLevel) }}
	gzipWriters   = sync.Pool{New: func() any { w, _ := gzip.NewWriterLevel(nil, answerGzipLevel); return w }}
)

// compress returns b in a coding; best takes the most time for the smallest result (files
// compressed once).
func compress(b []byte, e encoding, best bool) []byte {
	var buf bytes.Buffer
	buf.Grow(len(b)/3 + 64)
	switch e {
	case brotlied:
		if best {
			w := brotli.NewWriterLevel(&buf, brotli.BestCompression)
			_, _ = w.Write(b)
			_ = w.Close()
			break
		}
		w := brotliWriters.Get().(*brotli.Writer)
		w.Reset(&buf)
		_, _ = w.Write(b)
		_ = w.Close()
		brotliWriters.Put(w)
	case gzipped:
		if best {
			w, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
			_, _ = w.Write(b)
			_ = w.Close()
			break
		}
		w := gzipWriters.Get().(*gzip.Writer)
		w.Reset(&buf)
		_, _ = w.Write(b)
		_ = w.Close()
		gzipWriters.Put(w)
	default:
		return b
	}
	return bytes.Clone(buf.Bytes())
}

// staticFile is a file served as it is and precompressed, made once at start.
type staticFile struct {
	contentType string
	raw, br, gz []byte
	tag         string // hash of raw, for the ETag
}

func newStaticFile(raw []byte, contentType string) *staticFile {
	sum := sha256.Sum256(raw)
	return &staticFile{contentType: contentType, raw: raw, br: compress(raw, brotlied, true), gz: compress(raw, gzipped, true),
		tag: hex.EncodeToString(sum[:8])}
}

func (f *staticFile) encoded(want encoding) ([]byte, encoding) {
	switch want {
	case brotlied:
		return f.br, brotlied
	case gzipped:
		return f.gz, gzipped
	}
	return f.raw, identity
}

// etag is a strong validator per representation: the encodings differ in bytes.
func (f *staticFile) etag(e encoding) string { return `"` + f.tag + "-" + e.String() + `"` }

// etagMatches tells whether an If-None-Match header names tag (or is "*"); weak validators
// match too (RFC 9110: If-None-Match compares weakly).
func etagMatches(header, tag string) bool {
	for t := range strings.SplitSeq(header, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == "*" || t == tag {
			return true
		}
	}
	return false
}
