package bff

import (
	"context"
	"errors"
	"net/http"
	"sync/atomic"
	"time"

	"golang.org/x/sync/semaphore"
)

// gate bounds one tenant's platform calls under way at once (conns: the connections they
// hold) and the calls waiting for one (queue). A call past both is refused at once; a call in
// the queue waits within its deadline. So a platform that never answers holds at most conns
// connections and conns+queue requests of that store, and the other stores are not touched.
type gate struct {
	sem   *semaphore.Weighted
	in    atomic.Int64 // calls under way or waiting
	limit int64        // conns + queue
}

func newGate(conns, queue int) *gate {
	return &gate{sem: semaphore.NewWeighted(int64(conns)), limit: int64(conns + queue)}
}

// enter waits for a connection until ctx's deadline; on success the caller must leave.
func (g *gate) enter(ctx context.Context) *HTTPError {
	if g.in.Add(1) > g.limit {
		g.in.Add(-1)
		return upstreamBusy(errors.New("the store's upstream queue is full"))
	}
	if err := g.sem.Acquire(ctx, 1); err != nil {
		g.in.Add(-1)
		return upstreamBusy(err)
	}
	return nil
}

// enterNow takes a connection only if one is free at once (a call that has something else
// to answer with, a stale copy, does not queue); on success the caller must leave.
func (g *gate) enterNow() *HTTPError {
	if g.in.Add(1) > g.limit || !g.sem.TryAcquire(1) {
		g.in.Add(-1)
		return upstreamBusy(errors.New("no connection to the store's platform free at once"))
	}
	return nil
}

func (g *gate) leave() {
	g.sem.Release(1)
	g.in.Add(-1)
}

// upstreamBusy: the call never left (its store's connections and queue were full, or its
// deadline came while it waited). It says nothing of the platform's health.
func upstreamBusy(err error) *HTTPError {
	return &HTTPError{Code: http.StatusServiceUnavailable, ErrorCode: CodeUpstreamBusy,
		Msg: "The loyalty programme is busy for this store right now; please try again in a moment.", Err: err, RetryAfter: "1"}
}

// withCallDeadline is ctx with the deadline of a whole platform call, the wait for a
// connection included: UpstreamTimeout from now, or ctx's own when earlier.
func withCallDeadline(ctx context.Context, timeout time.Duration) (context.Context, context.CancelFunc) {
	deadline := time.Now().Add(timeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	return context.WithDeadline(ctx, deadline)
}
