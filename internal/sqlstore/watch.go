package sqlstore

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/lib/pq"
)

// The PostgreSQL channels the triggers notify: a thread's public view changed (its id),
// or the spam model's revision moved (the revision).
const (
	threadsChannel = "winnow_threads"
	spamChannel    = "winnow_spam"
)

// Watchers are told of changes made on any replica; nil ones are not told.
type Watchers struct {
	// Threads is called with the id of every thread whose public view changes, or
	// with 0 when changes may have been missed (a lost connection).
	Threads func(threadID int64)
	// Spam is called when another replica changed the stored spam model (a lesson, a
	// reset), or may have; the model's reader then syncs.
	Spam func()
}

// Watch tells w of changes until ctx ends. The store reports its own thread changes at
// once, after they commit, so a reader of this replica sees its writes (a spam model
// learns its own lessons as it makes them). On PostgreSQL other replicas' writes arrive
// by LISTEN, from triggers that notify at commit, a moment later, all on one
// connection. The callbacks run on the store's paths and must be quick.
func (s *Store) Watch(ctx context.Context, w Watchers) error {
	if w.Threads != nil {
		s.threadChanged.Store(&w.Threads)
		go func() { <-ctx.Done(); s.threadChanged.Store(nil) }()
	}
	if s.dialect != dialectPostgres {
		return nil
	}
	missed := func() { // whatever happened while the connection was down is unknown
		if w.Threads != nil {
			w.Threads(0)
		}
		if w.Spam != nil {
			w.Spam()
		}
	}
	l := pq.NewListener(s.dsn, 100*time.Millisecond, 10*time.Second, func(ev pq.ListenerEventType, err error) {
		if ev == pq.ListenerEventReconnected || ev == pq.ListenerEventConnectionAttemptFailed {
			missed()
		}
	})
	for _, ch := range []struct {
		name string
		want bool
	}{{threadsChannel, w.Threads != nil}, {spamChannel, w.Spam != nil}} {
		if !ch.want {
			continue
		}
		if err := l.Listen(ch.name); err != nil {
			l.Close()
			return fmt.Errorf("sqlstore: listen on %s: %w", ch.name, err)
		}
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
				switch {
				case n == nil: // reconnected
					missed()
				case n.Channel == spamChannel:
					w.Spam()
				case n.Channel == threadsChannel:
					if id, err := strconv.ParseInt(n.Extra, 10, 64); err == nil {
						w.Threads(id)
					}
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
