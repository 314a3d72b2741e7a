package issuance

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"permitdesk/app/store"
)

// ErrPrinterBusy means another worker, possibly in another process, drives
// the printer.
var ErrPrinterBusy = errors.New("printer is in use by another worker")

// WorkerOptions configure a Worker.
type WorkerOptions struct {
	// Service stores the jobs; required.
	Service *Service
	// Printer names the printer in jobs and lock files; empty means
	// "printer".
	Printer string
	// CardPath, Encoder and Faces are the devices; all required.
	CardPath CardPath
	Encoder  Encoder
	Faces    FaceRenderer
	// FacesDir receives the rendered front and back of each card as PNG,
	// job-<job id>-<card serial>-front.png and -back.png, written before
	// the print; empty keeps none.
	FacesDir string
	// LockDir holds the printer's lock file, which stops a second process
	// from driving the same printer; empty locks within this process only.
	LockDir string
	// StepTimeout bounds each device call (config issuance.step_timeout);
	// 0 means 60 seconds.
	StepTimeout time.Duration
	// PollInterval is how often Run looks for queued jobs when not
	// notified; 0 means 2 seconds.
	PollInterval time.Duration
	// RetryNeedsApproval makes Resolve require a supervisor's approval for
	// ApproveRetry before it spoils a job's card and takes a new one. A
	// queued job, which holds no card, retries without one.
	RetryNeedsApproval bool
	// Hook, when set, is called at named points of a job, such as
	// "before:encoding" and "after:personalise". Tests use it to crash the
	// process at a chosen step.
	Hook func(point string)
	// Logger receives worker logs; nil discards them.
	Logger *slog.Logger
}

// Worker runs issuance jobs on one printer, one job at a time.
type Worker struct {
	opt    WorkerOptions
	svc    *Service
	log    *slog.Logger
	owner  string
	mu     sync.Mutex // held while a job runs
	lock   *os.File
	notify chan struct{}
}

// processLocks stops two workers of this process from sharing a printer
// when no lock directory is given.
var processLocks sync.Map

// NewWorker locks the printer for this worker. Close releases it. Call
// Recover once before running jobs, so jobs a previous run left mid-way are
// moved to needs_attention first.
func NewWorker(o WorkerOptions) (*Worker, error) {
	if o.Service == nil || o.CardPath == nil || o.Encoder == nil || o.Faces == nil {
		return nil, errors.New("worker needs a service, a card path, an encoder and a face renderer")
	}
	if o.Printer == "" {
		o.Printer = "printer"
	}
	if o.StepTimeout == 0 {
		o.StepTimeout = 60 * time.Second
	}
	if o.PollInterval == 0 {
		o.PollInterval = 2 * time.Second
	}
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	w := &Worker{opt: o, svc: o.Service, log: log.With("component", "issuance", "printer", o.Printer),
		owner: fmt.Sprintf("%s/%d/%s", o.Printer, os.Getpid(), randomHex(4)), notify: make(chan struct{}, 1)}
	if err := w.acquire(); err != nil {
		return nil, err
	}
	return w, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func (w *Worker) acquire() error {
	if w.opt.LockDir == "" {
		if _, loaded := processLocks.LoadOrStore(w.opt.Printer, w.owner); loaded {
			return fmt.Errorf("%w: %s already has a worker in this process", ErrPrinterBusy, w.opt.Printer)
		}
		return nil
	}
	path := filepath.Join(w.opt.LockDir, "printer-"+w.opt.Printer+".lock")
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o640)
	if err != nil {
		return fmt.Errorf("open printer lock %q: %w", path, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return fmt.Errorf("%w: %s is locked through %q; close the other permitdesk window or command",
			ErrPrinterBusy, w.opt.Printer, path)
	}
	w.lock = f
	return nil
}

// Close releases the printer.
func (w *Worker) Close() error {
	if w.lock != nil {
		return w.lock.Close()
	}
	processLocks.Delete(w.opt.Printer)
	return nil
}

// Notify wakes Run to look for queued jobs now.
func (w *Worker) Notify() {
	select {
	case w.notify <- struct{}{}:
	default:
	}
}

func (w *Worker) hook(point string) {
	if w.opt.Hook != nil {
		w.opt.Hook(point)
	}
}

// Run drives queued jobs one at a time until ctx ends. actor is the login
// recorded for the steps.
func (w *Worker) Run(ctx context.Context, actor string) error {
	w.log.Info("worker started")
	defer w.log.Info("worker stopped")
	for {
		j, err := w.Claim(ctx)
		if err != nil && !errors.Is(err, ErrNotFound) {
			w.log.Error("claim failed", "err", err)
		}
		if j != nil {
			next, err := w.drive(ctx, j, actor)
			if err != nil {
				w.log.Warn("job stopped", "job", j.ID, "err", err)
			}
			// A job that stopped before taking a card, such as for a printer
			// fault, is queued again: wait before claiming it once more.
			if err == nil || next == nil || next.State != Queued {
				continue
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-w.notify:
		case <-time.After(w.opt.PollInterval):
		}
	}
}

// Claim takes the oldest queued job for this printer, or returns
// ErrNotFound when none is waiting. Two workers never get the same job: the
// claim is one IMMEDIATE transaction that checks claimed_by.
func (w *Worker) Claim(ctx context.Context) (*Job, error) {
	return w.claim(ctx, 0)
}

// ClaimJob claims job id, which must be queued and unclaimed.
func (w *Worker) ClaimJob(ctx context.Context, id int64) (*Job, error) {
	return w.claim(ctx, id)
}

func (w *Worker) claim(ctx context.Context, id int64) (*Job, error) {
	var claimed int64
	err := store.InTx(ctx, w.svc.db, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `UPDATE jobs SET claimed_by = ?1, printer = ?2, updated_at = ?3
			WHERE id = (SELECT id FROM jobs WHERE state = 'queued' AND claimed_by IS NULL
				AND printer IN ('', ?2) AND (?4 = 0 OR id = ?4) ORDER BY id LIMIT 1)
			RETURNING id`, w.owner, w.opt.Printer, stamp(w.svc.now()), id).Scan(&claimed)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		return err
	})
	if errors.Is(err, ErrNotFound) && id != 0 {
		return nil, w.unclaimable(ctx, id)
	}
	if err != nil {
		return nil, err
	}
	return w.svc.Job(ctx, claimed)
}

func (w *Worker) unclaimable(ctx context.Context, id int64) error {
	j, err := w.svc.Job(ctx, id)
	if err != nil {
		return err
	}
	if j.ClaimedBy != "" {
		return fmt.Errorf("%w: job %d is already claimed by %s", ErrPrinterBusy, id, j.ClaimedBy)
	}
	return fmt.Errorf("%w: job %d is %s, not queued", ErrStateChanged, id, j.State)
}

// RunJob claims job id and drives it until it waits for handover, is
// spoiled, or needs attention. It returns the job as it ended; the error is
// non-nil when the job did not reach awaiting_handover.
func (w *Worker) RunJob(ctx context.Context, id int64, actor string) (*Job, error) {
	j, err := w.ClaimJob(ctx, id)
	if err != nil {
		return nil, err
	}
	return w.drive(ctx, j, actor)
}
