package bff

import (
	"bufio"
	"io"
	"sync"
	"time"
)

// LogBuffer gathers log lines into few writes: the buffer goes out every FlushEvery, or
// when it holds 32 KiB, instead of one write (one system call) per line on every request's
// path. It is for the Logger's output (os.Stderr); Close writes what is left. A crash loses
// at most FlushEvery of lines.
type LogBuffer struct {
	mu   sync.Mutex
	w    *bufio.Writer
	stop chan struct{}
	done chan struct{}
}

// NewLogBuffer buffers w, flushing every flushEvery (default 100 ms).
func NewLogBuffer(w io.Writer, flushEvery time.Duration) *LogBuffer {
	if flushEvery <= 0 {
		flushEvery = 100 * time.Millisecond
	}
	b := &LogBuffer{w: bufio.NewWriterSize(w, 32<<10), stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(b.done)
		t := time.NewTicker(flushEvery)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				_ = b.Flush()
			case <-b.stop:
				return
			}
		}
	}()
	return b
}

// Write adds a line (slog handlers write one record per call).
func (b *LogBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.w.Write(p)
}

// Flush writes what is buffered.
func (b *LogBuffer) Flush() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.w.Flush()
}

// Close stops the flushing and writes what is left.
func (b *LogBuffer) Close() error {
	select {
	case <-b.stop:
	default:
		close(b.stop)
		<-b.done
	}
	return b.Flush()
}
