package rewrite

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"database/sql"
	"errors"
	"fmt"
	"image"
	"image/png"
	"log/slog"
	"sync"
	"time"

	"permitdesk/app/operators"
	"permitdesk/app/permit"
	appsync "permitdesk/app/sync"
	"permitdesk/devices"
	"permitdesk/devices/apdu"
	"permitdesk/devices/keys"
	"permitdesk/devices/permitcard"
	"permitdesk/devices/rewriter"
)

// Registry is the central permit system as an address change uses it.
// *sync.Service implements it: lookups go online first and fall back to
// the cached register, and Enqueue writes the outbox inside a transaction.
type Registry interface {
	LookupHouseCode(ctx context.Context, code string) (appsync.HouseCodeLookup, error)
	CheckRevoked(ctx context.Context, permitNumber string) (appsync.RevocationCheck, error)
	ApplicationsByIDNumber(ctx context.Context, idNumber string) ([]permit.Application, error)
	Enqueue(ctx context.Context, tx *sql.Tx, r appsync.Record) (string, error)
	TrustedSealKeys(ctx context.Context) (map[string]ed25519.PublicKey, error)
}

// StripPrinter erases and prints the rewritable strip. *rewriter.Rewriter
// implements it.
type StripPrinter interface {
	Status(ctx context.Context) (rewriter.Status, error)
	Rewrite(ctx context.Context, img image.Image) error
}

// StripRenderer draws the address strip. *cardface.Renderer implements it.
type StripRenderer interface {
	StripImage(p permit.Permit) (*image.Gray, error)
}

// Options configure New.
type Options struct {
	// DB is the workstation database with the rewrite tables; required.
	DB *sql.DB
	// Reader is the desk card reader; required.
	Reader apdu.CardReader
	// Keys computes the card-key cryptogram; required for writes.
	Keys keys.Provider
	// MaxAPDU is the largest data field per short APDU; 0 means 239.
	MaxAPDU int
	// Extended allows extended-length APDUs.
	Extended bool
	// RepresentWait is how long a chip step waits for a card that left the
	// reader to come back before the job stops and needs attention; 0 means
	// 10 s, negative means it stops at once.
	RepresentWait time.Duration
	// Registry looks house codes and revocations up and queues the record
	// for the central system; required.
	Registry Registry
	// Strip prints the address strip; required for Start and Reprint.
	Strip StripPrinter
	// Renderer draws the strip; required for Start, Reprint and Preview.
	Renderer StripRenderer
	// SealKeys are the trusted issuance-seal public keys by key ID; nil
	// asks Registry.TrustedSealKeys on each read. A card whose seal is made
	// with another key, or that has none, is rejected.
	SealKeys map[string]ed25519.PublicKey
	// BlockWhenRevocationUnknown rejects a change when the central system
	// is unreachable and the revocation feed was never pulled. False allows
	// the change and shows that the check was skipped.
	BlockWhenRevocationUnknown bool
	// StationID prefixes outbox idempotency keys; empty means "station".
	StationID string
	// StripWait is how long the job waits for the card at the rewriter
	// inlet; 0 means 2 minutes.
	StripWait time.Duration
	// PollInterval is the time between rewriter status reads while waiting
	// for the card; 0 means 250 ms.
	PollInterval time.Duration
	// Location is the time zone of the date printed on the strip; nil means
	// time.Local.
	Location *time.Location
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
	// Logger receives starts, steps and failures; nil discards them.
	Logger *slog.Logger
}

// Service reads permit cards at the desk and changes their address. One
// address change runs at a time; its methods are safe for concurrent use.
type Service struct {
	o   Options
	enc *permitcard.Encoder
	raw *rawChip
	bus *bus
	log *slog.Logger
	run sync.Mutex
	// hook runs before each progress event is published; tests only.
	hook func(step string)
}

// New returns a Service.
func New(o Options) (*Service, error) {
	if o.DB == nil || o.Reader == nil || o.Registry == nil {
		return nil, fmt.Errorf("%w: the address rewrite needs a database, a desk card reader and the sync service",
			devices.ErrNotConfigured)
	}
	o = withDefaults(o)
	enc, err := permitcard.New(permitcard.Options{Reader: o.Reader, Keys: o.Keys, MaxAPDU: o.MaxAPDU,
		Extended: o.Extended, RepresentWait: o.RepresentWait, Logger: o.Logger})
	if err != nil {
		return nil, err
	}
	return &Service{o: o, enc: enc, bus: newBus(), log: o.Logger.With("component", "rewrite"), hook: func(string) {},
		raw: &rawChip{reader: o.Reader, keys: o.Keys, maxAPDU: o.MaxAPDU, extended: o.Extended}}, nil
}

func withDefaults(o Options) Options {
	if o.MaxAPDU <= 0 {
		o.MaxAPDU = 239
	}
	if o.RepresentWait == 0 {
		o.RepresentWait = 10 * time.Second
	}
	if o.StationID == "" {
		o.StationID = "station"
	}
	if o.StripWait <= 0 {
		o.StripWait = 2 * time.Minute
	}
	if o.PollInterval <= 0 {
		o.PollInterval = 250 * time.Millisecond
	}
	if o.Location == nil {
		o.Location = time.Local
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o
}

// Subscribe returns a channel of progress events and a function that ends
// the subscription. buffer is the channel size; 0 means 64. A subscriber
// that falls behind loses events; Snapshot has the latest of each job.
func (s *Service) Subscribe(buffer int) (<-chan Progress, func()) { return s.bus.subscribe(buffer) }

// Snapshot returns the latest progress event of every job run since start.
func (s *Service) Snapshot() []Progress { return s.bus.snapshot() }

// Job returns one job.
func (s *Service) Job(ctx context.Context, id int64) (Job, error) {
	j, err := loadJob(ctx, s.o.DB, id)
	if err != nil {
		return Job{}, err
	}
	return *j, nil
}

// Jobs returns the newest jobs, up to limit (0 means 50), in the given
// states (none means all).
func (s *Service) Jobs(ctx context.Context, states []State, limit int) ([]Job, error) {
	if limit <= 0 {
		limit = 50
	}
	js, err := listJobs(ctx, s.o.DB, states, limit)
	if err != nil {
		return nil, err
	}
	out := make([]Job, len(js))
	for i, j := range js {
		out[i] = *j
	}
	return out, nil
}

// Events returns a job's transitions, oldest first.
func (s *Service) Events(ctx context.Context, id int64) ([]Event, error) {
	return listEvents(ctx, s.o.DB, id)
}

// Preview renders the strip with the old and the new address as PNG images.
func (s *Service) Preview(old, next Address) (StripPreview, error) {
	if s.o.Renderer == nil {
		return StripPreview{}, fmt.Errorf("%w: no strip renderer: check printing.font_file", devices.ErrNotConfigured)
	}
	now := s.o.Now()
	var p StripPreview
	var err error
	if p.Old, err = s.stripPNG(old, now); err != nil {
		return p, fmt.Errorf("render old strip: %w", err)
	}
	if p.New, err = s.stripPNG(next, now); err != nil {
		return p, fmt.Errorf("render new strip: %w", err)
	}
	return p, nil
}

func (s *Service) stripPNG(a Address, at time.Time) ([]byte, error) {
	img, err := s.o.Renderer.StripImage(stripPermit(a, at, s.o.Location))
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	err = png.Encode(&b, img)
	return b.Bytes(), err
}

// StripPermit returns the permit fields the strip template prints: the
// address, and the change date in loc as the date line.
func stripPermit(a Address, changedAt time.Time, loc *time.Location) permit.Permit {
	return permit.Permit{Address: a.domain(), IssuedAt: changedAt.In(loc)}
}

// StripImage renders the strip that job j prints, for checks and tests.
func (s *Service) StripImage(j Job) (*image.Gray, error) {
	return s.o.Renderer.StripImage(stripPermit(j.NewAddress, j.CreatedAt, s.o.Location))
}

// verifySeal checks the card's issuance seal with the trusted keys.
func (s *Service) verifySeal(ctx context.Context, d permitcard.CardData) error {
	keys := s.o.SealKeys
	if keys == nil {
		var err error
		if keys, err = s.o.Registry.TrustedSealKeys(ctx); err != nil {
			return fmt.Errorf("%w: %w", permitcard.ErrSealInvalid, err)
		}
	}
	return permitcard.VerifySeal(d, keys)
}

func requireTechnician(sess *operators.Session) error {
	return operators.Require(sess, operators.Technician, operators.Supervisor)
}

func (s *Service) lock() error {
	if !s.run.TryLock() {
		return fmt.Errorf("%w: wait for it to finish", ErrBusy)
	}
	return nil
}

// isLinkLoss reports whether err means the card left the reader or the
// reader went away, as opposed to a card that returned an error status.
func isLinkLoss(err error) bool {
	return errors.Is(err, devices.ErrCardRemoved) || errors.Is(err, devices.ErrNoCard) ||
		errors.Is(err, devices.ErrNotConnected) || errors.Is(err, devices.ErrTimeout) ||
		errors.Is(err, devices.ErrWrongCard)
}
