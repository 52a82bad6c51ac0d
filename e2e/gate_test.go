package e2e

// gate takes the BFF away from the browser as a real outage does.

import (
	"net"
	"sync"
)

// gate stands in the BFF's listener and takes the BFF away the way it really goes away: while
// it is down, open connections are cut and new ones are closed as soon as they arrive, so the
// browser's requests fail with a network error. No DevTools emulation is involved, so it works
// with whatever Chromium is installed.
type gate struct {
	net.Listener
	mu    sync.Mutex
	down  bool
	conns map[net.Conn]bool
}

func (g *gate) Accept() (net.Conn, error) {
	for {
		c, err := g.Listener.Accept()
		if err != nil {
			return nil, err
		}
		g.mu.Lock()
		if g.down {
			g.mu.Unlock()
			c.Close()
			continue
		}
		g.conns[c] = true
		g.mu.Unlock()
		return &gatedConn{Conn: c, g: g}, nil
	}
}

// set takes the BFF away (down) or brings it back.
func (g *gate) set(down bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.down = down
	if down {
		for c := range g.conns {
			c.Close()
		}
	}
}

type gatedConn struct {
	net.Conn
	g *gate
}

func (c *gatedConn) Close() error {
	c.g.mu.Lock()
	delete(c.g.conns, c.Conn)
	c.g.mu.Unlock()
	return c.Conn.Close()
}
