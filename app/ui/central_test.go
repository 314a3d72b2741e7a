package ui

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"permitdesk/app/config"
	appsync "permitdesk/app/sync"
)

type fixedLink struct {
	st  appsync.Status
	err error
}

func (f *fixedLink) Status(context.Context) (appsync.Status, error) { return f.st, f.err }

func TestCentralStatusStates(t *testing.T) {
	at := time.Date(2026, 5, 1, 8, 30, 0, 0, time.UTC)
	tests := []struct {
		name  string
		link  *fixedLink
		state string
	}{
		{"offline only", &fixedLink{st: appsync.Status{}}, CentralOfflineOnly},
		{"never tried", &fixedLink{st: appsync.Status{Configured: true}}, CentralUnknown},
		{"online", &fixedLink{st: appsync.Status{Configured: true, Online: true, LastSuccess: &at}}, CentralUp},
		{"failing", &fixedLink{st: appsync.Status{Configured: true, OfflineSince: &at, LastError: "dial tcp: refused"}},
			CentralDown},
		{"status error", &fixedLink{err: errors.New("database is locked")}, CentralUnknown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			app := NewApp(Options{Config: config.Default(), Central: tt.link})
			got := app.StatusSnapshot().Central
			if got.State != tt.state {
				t.Errorf("state = %q, want %q", got.State, tt.state)
			}
		})
	}
}

func TestCentralStatusDetail(t *testing.T) {
	at := time.Date(2026, 5, 1, 8, 30, 0, 0, time.UTC)
	link := &fixedLink{st: appsync.Status{Configured: true, OfflineSince: &at, LastSuccess: &at,
		LastError: "dial tcp 127.0.0.1:8443: connection refused", OutboxDepth: 3}}
	got := NewApp(Options{Config: config.Default(), Central: link}).StatusSnapshot().Central
	want := CentralStatus{State: CentralDown, LastSync: "2026-05-01T08:30:00Z", Pending: 3,
		Detail: "dial tcp 127.0.0.1:8443: connection refused"}
	if got != want {
		t.Errorf("central = %+v, want %+v", got, want)
	}
}

func TestWatchCentralSendsChanges(t *testing.T) {
	link := &fixedLink{st: appsync.Status{Configured: true}}
	app := NewApp(Options{Config: config.Default(), Central: &lockedLink{link: link}})
	statuses := make(chan Status, 16)
	app.startup(context.Background(), func(_ context.Context, name string, data ...any) {
		statuses <- data[0].(Status)
	})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan struct{})
	shown := app.StatusSnapshot().Central
	go func() { app.watchCentral(ctx, time.Millisecond, shown); close(done) }()

	app.opts.Central.(*lockedLink).set(appsync.Status{Configured: true, Online: true})
	select {
	case st := <-statuses:
		if st.Central.State != CentralUp {
			t.Errorf("state = %q, want %q", st.Central.State, CentralUp)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no status sent after the link came up")
	}
	cancel()
	<-done
}

// lockedLink lets a test change the status while watchCentral reads it.
type lockedLink struct {
	mu   sync.Mutex
	link *fixedLink
}

func (l *lockedLink) Status(ctx context.Context) (appsync.Status, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.link.Status(ctx)
}

func (l *lockedLink) set(st appsync.Status) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.link.st = st
}
