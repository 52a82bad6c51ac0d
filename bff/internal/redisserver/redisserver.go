// Package redisserver starts a real redis-server (Debian's package) on a free local port,
// without persistence, for the tests and the load test of the replicas sharing Redis.
package redisserver

import (
	"errors"
	"net"
	"os/exec"
	"strconv"
	"time"
)

// ErrNotInstalled says redis-server is not on the PATH (apt-get install redis-server).
var ErrNotInstalled = errors.New("redis-server is not installed (apt-get install redis-server)")

// Server is a running redis-server.
type Server struct {
	Port int
	cmd  *exec.Cmd
}

// Start starts redis-server on a free port and waits until it accepts connections.
func Start() (*Server, error) {
	if _, err := exec.LookPath("redis-server"); err != nil {
		return nil, ErrNotInstalled
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	port := ln.Addr().(*net.TCPAddr).Port
	_ = ln.Close()
	s := &Server{Port: port}
	return s, s.Restart()
}

// URL is the server's redis:// URL, database 0.
func (s *Server) URL() string { return "redis://127.0.0.1:" + strconv.Itoa(s.Port) + "/0" }

// Restart starts the server again on its port (after Stop), empty.
func (s *Server) Restart() error {
	s.cmd = exec.Command("redis-server", "--port", strconv.Itoa(s.Port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no") //nolint:gosec // G204: a port chosen here
	if err := s.cmd.Start(); err != nil {
		return err
	}
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if c, err := net.Dial("tcp", "127.0.0.1:"+strconv.Itoa(s.Port)); err == nil {
			_ = c.Close()
			return nil
		}
	}
	s.Stop()
	return errors.New("redis-server did not start within 10 s")
}

// Stop kills the server (its data is gone: there is no persistence).
func (s *Server) Stop() {
	if s.cmd != nil && s.cmd.Process != nil {
		_ = s.cmd.Process.Kill()
		_ = s.cmd.Wait()
		s.cmd = nil
	}
}
