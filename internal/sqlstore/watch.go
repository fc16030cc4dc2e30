package sqlstore

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/lib/pq"
)

// threadsChannel is the PostgreSQL channel the threads trigger notifies.
const threadsChannel = "winnow_threads"

// WatchThreads calls changed with the id of every thread whose public view changes, on
// any replica, or with 0 when changes may have been missed (a lost connection), until
// ctx ends. The store reports its own writes at once, after they commit, so a reader
// of this replica sees its writes; on PostgreSQL other replicas' writes arrive by
// LISTEN, from a trigger that notifies at commit, a moment later. changed runs on the
// store's paths and must be quick.
func (s *Store) WatchThreads(ctx context.Context, changed func(threadID int64)) error {
	s.threadChanged.Store(&changed)
	go func() { <-ctx.Done(); s.threadChanged.Store(nil) }()
	if s.dialect != dialectPostgres {
		return nil
	}
	l := pq.NewListener(s.dsn, 100*time.Millisecond, 10*time.Second, func(ev pq.ListenerEventType, err error) {
		if ev == pq.ListenerEventReconnected || ev == pq.ListenerEventConnectionAttemptFailed {
			changed(0)
		}
	})
	if err := l.Listen(threadsChannel); err != nil {
		l.Close()
		return fmt.Errorf("sqlstore: listen for thread changes: %w", err)
	}
	go func() {
		defer l.Close()
		ping := time.NewTicker(30 * time.Second)
		defer ping.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case n := <-l.Notify:
				if n == nil { // reconnected: whatever happened meanwhile is unknown
					changed(0)
					continue
				}
				if id, err := strconv.ParseInt(n.Extra, 10, 64); err == nil {
					changed(id)
				}
			case <-ping.C:
				go l.Ping() // notices a dead connection, which then reconnects
			}
		}
	}()
	return nil
}

// localThreadChanged reports this store's own change of a thread, after the
// transaction that made it committed.
func (s *Store) localThreadChanged(threadID int64) {
	if f := s.threadChanged.Load(); f != nil {
		(*f)(threadID)
	}
}
