package ui

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"permitdesk/app/issuance"
	"permitdesk/app/operators"
	"permitdesk/devices"
)

// RunnerOpener opens the station's printer and encoder and returns a
// JobRunner on them, with the function that closes them.
type RunnerOpener func(ctx context.Context) (JobRunner, func(), error)

// StationRunner is a JobRunner that opens the printer and the encoder when a
// job needs them. It closes them once no job has used them for the idle
// time, so diagnostics and other programs can open the printer's port
// between customers. A failed open is returned and tried again on the next job.
type StationRunner struct {
	open RunnerOpener
	idle time.Duration
	log  *slog.Logger

	mu     sync.Mutex
	runner JobRunner
	close  func()
	users  int
	timer  *time.Timer
	// suspended counts the Suspend calls not yet released.
	suspended int
	// reopen closes the devices when the last job in progress ends,
	// because the configuration changed since they were opened.
	reopen bool
}

// NewStationRunner returns a StationRunner over open. idle 0 means 30
// seconds.
func NewStationRunner(open RunnerOpener, idle time.Duration, log *slog.Logger) *StationRunner {
	if idle <= 0 {
		idle = 30 * time.Second
	}
	return &StationRunner{open: open, idle: idle, log: log}
}

// Warm opens the devices once, which recovers the jobs a previous run left
// mid-way, and lets the idle timer close them again.
func (r *StationRunner) Warm(ctx context.Context) error {
	if _, err := r.acquire(ctx); err != nil {
		return err
	}
	r.release()
	return nil
}

// RunJob runs job id on the station's devices.
func (r *StationRunner) RunJob(ctx context.Context, id int64, actor string) (*issuance.Job, error) {
	run, err := r.acquire(ctx)
	if err != nil {
		return nil, err
	}
	defer r.release()
	return run.RunJob(ctx, id, actor)
}

// Resolve carries out a choice for job id on the station's devices.
func (r *StationRunner) Resolve(ctx context.Context, sess *operators.Session, id int64, choice issuance.Choice,
	approvalID, reason string) (*issuance.Job, error) {
	run, err := r.acquire(ctx)
	if err != nil {
		return nil, err
	}
	defer r.release()
	return run.Resolve(ctx, sess, id, choice, approvalID, reason)
}

// Close closes the devices; a later job opens them again.
func (r *StationRunner) Close() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.closeLocked()
}

// Reopen closes the devices once no job uses them, so the next job opens
// the devices the configuration names then. Until the last job in progress
// ends, jobs run on the devices already open.
func (r *StationRunner) Reopen() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.users == 0 {
		r.closeLocked()
		return
	}
	r.reopen = true
}

func (r *StationRunner) acquire(ctx context.Context) (JobRunner, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.suspended > 0 {
		return nil, fmt.Errorf("%w: the diagnostics are using the printer and the encoder; run the job "+
			"again when they finish", devices.ErrBusy)
	}
	if r.timer != nil {
		r.timer.Stop()
		r.timer = nil
	}
	if r.runner == nil {
		run, closeFn, err := r.open(ctx)
		if err != nil {
			return nil, fmt.Errorf("open the printer and the encoder: %w", err)
		}
		r.runner, r.close = run, closeFn
		r.log.Info("printer and encoder opened")
	}
	r.users++
	return r.runner, nil
}

func (r *StationRunner) release() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.users--
	switch {
	case r.users == 0 && r.reopen:
		r.reopen = false
		r.closeLocked()
	case r.users == 0 && r.runner != nil:
		r.timer = time.AfterFunc(r.idle, r.closeIdle)
	}
}

func (r *StationRunner) closeIdle() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.users == 0 {
		r.closeLocked()
	}
}

func (r *StationRunner) closeLocked() {
	if r.timer != nil {
		r.timer.Stop()
		r.timer = nil
	}
	if r.runner != nil {
		r.close()
		r.runner, r.close = nil, nil
		r.log.Info("printer and encoder closed")
	}
}

// Suspend closes the devices and keeps jobs from opening them until the
// returned function is called, so that the diagnostics can open the ports
// themselves. It fails with devices.ErrBusy while a job uses the devices.
func (r *StationRunner) Suspend() (func(), error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.users > 0 {
		return nil, fmt.Errorf("%w: a card job is using the printer and the encoder; run the diagnostics "+
			"when it is done", devices.ErrBusy)
	}
	r.closeLocked()
	r.suspended++
	return resumeOnce(&r.mu, &r.suspended), nil
}

// resumeOnce returns a function that undoes one Suspend: it decrements
// *suspended under mu, and only on its first call.
func resumeOnce(mu *sync.Mutex, suspended *int) func() {
	var once sync.Once
	return func() {
		once.Do(func() {
			mu.Lock()
			defer mu.Unlock()
			*suspended--
		})
	}
}
