// Package sync is the workstation's offline-first link to the central permit
// system (API in docs/central-api.yaml). It pulls the approved applications,
// revocations and house-register changes into local tables with a persisted
// cursor per feed, and pushes card records from a transactional outbox.
//
// Issuance never waits for the link: Enqueue writes the outbox row inside the
// caller's transaction, and a background loop drains the outbox in batches
// with exponential backoff and jitter. Every record keeps its idempotency key
// across retries, so a reply lost after the server committed comes back as
// "duplicate" instead of a second record. Each record's result is honoured on
// its own: accepted and duplicate records are done, conflicts and rejections
// are parked with the server's reason and reported, and records the server
// did not decide are retried later without holding back the rest.
//
// Each application is cached with the issuance seal the central system
// signed at approval, and each pull refreshes the cached seal public keys
// unless a key is pinned (Options.SealKeyFile). TrustedSealKeys returns the
// keys that issuance and address rewrites verify seals with.
//
// Events are ordered by the central sequence, never by clocks; the station's
// clock skew against the server is measured on every reply and reported.
//
// Limits: one central system per workstation; a parked record stays parked
// until an operator re-queues it with Requeue.
package sync

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	mrand "math/rand/v2"
	gosync "sync"
	"time"
)

// Options configure New. Only DB is required.
type Options struct {
	// DB is the workstation database with the sync tables migrated.
	DB *sql.DB
	// Client talks to the central system; nil means offline only.
	Client *Client
	// StationID prefixes generated idempotency keys.
	StationID string
	// Log receives starts, retries and parked records; nil discards.
	Log *slog.Logger
	// Now is the local clock; nil means time.Now.
	Now func() time.Time
	// BatchSize is the number of records per push request; 0 means 100.
	BatchSize int
	// PageSize is the number of items per pull request; 0 means 500.
	PageSize int
	// SkipPhotos pulls applications without portraits; Application fetches
	// a missing portrait on demand.
	SkipPhotos bool
	// Interval is the time between sync rounds in Run; 0 means 30 s.
	Interval time.Duration
	// BackoffMin and BackoffMax bound the wait after a failure; 0 means
	// 1 s and 5 min.
	BackoffMin, BackoffMax time.Duration
	// SkewTolerance is the clock difference above which Status warns; 0
	// means 2 min.
	SkewTolerance time.Duration
	// LookupTimeout bounds the online part of CheckRevoked and
	// LookupHouseCode before they fall back to the local cache; 0 means 3 s.
	LookupTimeout time.Duration
	// OnAlert is called after a record is parked as rejected or conflict.
	OnAlert func(Alert)
	// OnRound is called by Run after each sync round with its report and
	// error, for status displays.
	OnRound func(Report, error)
	// SealKeyFile pins the issuance-seal public key (config
	// central.seal_key_file); empty trusts the keys fetched from the central
	// system and cached in the database.
	SealKeyFile string
}

// Alert reports a record the central system refused.
type Alert struct {
	Key          string
	Kind         string
	PermitNumber string
	CardSerial   string
	// State is "conflict" or "rejected".
	State  string
	Reason string
}

// Service runs the sync.
type Service struct {
	o    Options
	log  *slog.Logger
	wake chan struct{}

	// pushMu and pullMu serialise Push and Pull, so that Run and a manual
	// sync never send the same batch or page at the same time.
	pushMu, pullMu gosync.Mutex

	mu       gosync.Mutex
	failures int // consecutive push failures, to shrink batches
	rng      *mrand.Rand
}

// New builds a service.
func New(o Options) (*Service, error) {
	if o.DB == nil {
		return nil, errors.New("sync: a database is required")
	}
	o = o.withDefaults()
	return &Service{o: o, log: o.Log.With("component", "sync"), wake: make(chan struct{}, 1),
		rng: mrand.New(mrand.NewPCG(mrand.Uint64(), mrand.Uint64()))}, nil
}

func (o Options) withDefaults() Options {
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	setDefault(&o.BatchSize, 100)
	setDefault(&o.PageSize, 500)
	setDefault(&o.Interval, 30*time.Second)
	setDefault(&o.BackoffMin, time.Second)
	setDefault(&o.BackoffMax, 5*time.Minute)
	setDefault(&o.SkewTolerance, 2*time.Minute)
	setDefault(&o.LookupTimeout, 3*time.Second)
	return o
}

func setDefault[T comparable](v *T, d T) {
	var zero T
	if *v == zero {
		*v = d
	}
}

// Report sums up one sync round.
type Report struct {
	Pulled PullReport `json:"pulled"`
	Pushed PushReport `json:"pushed"`
}

// SyncOnce pulls every feed and then drains the outbox once. It returns the
// first link error after doing what it could; local data are never lost.
func (s *Service) SyncOnce(ctx context.Context) (Report, error) {
	var rep Report
	if s.o.Client == nil {
		return rep, fmt.Errorf("%w: central.url is not configured", ErrOffline)
	}
	var pullErr, pushErr error
	rep.Pulled, pullErr = s.Pull(ctx)
	rep.Pushed, pushErr = s.Push(ctx)
	return rep, errors.Join(pullErr, pushErr)
}

// Run syncs every Interval until ctx ends, sooner after Enqueue, and backs
// off exponentially with jitter while the link fails.
func (s *Service) Run(ctx context.Context) error {
	s.log.Info("sync started", "interval", s.o.Interval)
	defer s.log.Info("sync stopped")
	failures := 0
	for {
		wait := s.o.Interval
		rep, err := s.SyncOnce(ctx)
		if s.o.OnRound != nil && ctx.Err() == nil {
			s.o.OnRound(rep, err)
		}
		if err != nil && ctx.Err() == nil {
			failures++
			wait = s.backoff(failures)
			s.log.Warn("sync failed, retrying", "error", err, "retry_in", wait, "failures", failures)
		} else {
			failures = 0
		}
		select {
		case <-ctx.Done():
			return nil
		case <-s.wake:
		case <-time.After(wait):
		}
	}
}

// backoff returns the wait before attempt n+1: BackoffMin doubled per
// failure up to BackoffMax, then jittered into its upper half.
func (s *Service) backoff(failures int) time.Duration {
	d := s.o.BackoffMin
	for i := 1; i < failures && d < s.o.BackoffMax; i++ {
		d *= 2
	}
	d = min(d, s.o.BackoffMax)
	s.mu.Lock()
	j := s.rng.Float64()
	s.mu.Unlock()
	return d/2 + time.Duration(j*float64(d/2))
}

func (s *Service) poke() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

func newKey(station string) string {
	b := make([]byte, 16)
	rand.Read(b)
	return station + "-" + hex.EncodeToString(b)
}

// timeLayout has a fixed width, so stored times compare correctly as text in
// SQL; RFC 3339 with trimmed fractions would not.
const timeLayout = "2006-01-02T15:04:05.000000000Z"

func formatTime(t time.Time) string { return t.UTC().Format(timeLayout) }

func parseTime(s string) time.Time {
	t, _ := time.Parse(time.RFC3339Nano, s)
	return t
}
