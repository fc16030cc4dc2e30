package admin

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/winnow/winnow/internal/auth"
	"github.com/winnow/winnow/internal/site"
)

// InstallStore keeps what widgets report (sqlstore.Store).
type InstallStore interface {
	// RecordInstalls merges reports into the stored ones, storing a new origin only
	// while its site has fewer than max.
	RecordInstalls(ctx context.Context, ins []site.Install, max int) error
	// Installs lists a site's stored reports, the latest first.
	Installs(ctx context.Context, siteID string) ([]site.Install, error)
}

// maxPendingInstalls bounds the reports an InstallLog holds between writes; more
// distinct origins than this in one interval are dropped until the next write.
const maxPendingInstalls = 10_000

// InstallLog gathers what the widgets report from the pages that embed them, in
// memory, and writes it in batches (Run), so a page view costs a map update and not a
// database write. A replica that dies loses at most one interval of counts, which only
// feed the site page's installation panel.
type InstallLog struct {
	store   InstallStore
	log     *slog.Logger
	mu      sync.Mutex
	pending map[[2]string]site.Install // by site and origin
}

// NewInstallLog returns an empty log writing to store.
func NewInstallLog(store InstallStore, log *slog.Logger) *InstallLog {
	return &InstallLog{store: store, log: log, pending: map[[2]string]site.Install{}}
}

// Report adds one widget's report (site.Site.Report) to the next write.
func (l *InstallLog) Report(in site.Install) {
	k := [2]string{in.SiteID, in.Origin}
	l.mu.Lock()
	defer l.mu.Unlock()
	if cur, ok := l.pending[k]; ok {
		cur.Merge(in)
		l.pending[k] = cur
	} else if len(l.pending) < maxPendingInstalls {
		l.pending[k] = in
	}
}

// Flush writes what was reported since the last write. Reports that fail to be
// written are merged back, to be tried with the next.
func (l *InstallLog) Flush(ctx context.Context) error {
	l.mu.Lock()
	var listed, unlisted []site.Install
	for _, in := range l.pending {
		if in.Unlisted() {
			unlisted = append(unlisted, in)
		} else {
			listed = append(listed, in)
		}
	}
	clear(l.pending)
	l.mu.Unlock()
	for _, b := range []struct {
		ins []site.Install
		max int
	}{{listed, site.MaxInstalls}, {unlisted, site.MaxUnlistedInstalls}} {
		if err := l.store.RecordInstalls(ctx, b.ins, b.max); err != nil {
			for _, in := range append(listed, unlisted...) {
				l.Report(in) // a batch written already only counts its loads twice
			}
			return fmt.Errorf("admin: record installs: %w", err)
		}
	}
	return nil
}

// Run writes the reports every interval until ctx ends, and once more then.
func (l *InstallLog) Run(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			final, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			defer cancel()
			if err := l.Flush(final); err != nil {
				l.log.Warn("installs not written at stop", "err", err)
			}
			return
		case <-t.C:
			if err := l.Flush(ctx); err != nil && ctx.Err() == nil {
				l.log.Warn("installs not written; retrying with the next", "err", err)
			}
		}
	}
}

// Installs lists what the widget reported from each origin of site id, for the site's
// page: this replica's reports not yet written are written first, so an owner who just
// loaded a page sees it.
func (s *Service) Installs(ctx context.Context, p auth.Principal, id string) ([]site.Install, error) {
	if err := p.See(id); err != nil {
		return nil, err
	}
	if s.installs != nil {
		if err := s.installs.Flush(ctx); err != nil {
			return nil, err
		}
	}
	ins, err := s.store.Installs(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("admin: installs of %q: %w", id, err)
	}
	return ins, nil
}
