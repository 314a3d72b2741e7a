package ui

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"permitdesk/app/issuance"
	"permitdesk/app/logging"
	"permitdesk/app/operators"
)

// countingOpener opens fake runners and counts opens and closes; the first
// failures opens fail.
type countingOpener struct {
	mu       sync.Mutex
	opens    int
	closes   int
	failures int
}

func (o *countingOpener) open(context.Context) (JobRunner, func(), error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.failures > 0 {
		o.failures--
		return nil, nil, errors.New("open /dev/ttyUSB0: no such file or directory")
	}
	o.opens++
	return idleRunner{}, func() {
		o.mu.Lock()
		o.closes++
		o.mu.Unlock()
	}, nil
}

func (o *countingOpener) counts() (int, int) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.opens, o.closes
}

type idleRunner struct{}

func (idleRunner) RunJob(context.Context, int64, string) (*issuance.Job, error) {
	return &issuance.Job{State: issuance.AwaitingHandover}, nil
}

func (idleRunner) Resolve(context.Context, *operators.Session, int64, issuance.Choice, string,
	string) (*issuance.Job, error) {
	return &issuance.Job{State: issuance.AwaitingHandover}, nil
}

func TestStationRunnerClosesWhenIdle(t *testing.T) {
	o := &countingOpener{}
	r := NewStationRunner(o.open, 50*time.Millisecond, logging.Discard())
	ctx := context.Background()
	for range 3 {
		if _, err := r.RunJob(ctx, 1, "clerk1"); err != nil {
			t.Fatal(err)
		}
	}
	if opens, closes := o.counts(); opens != 1 || closes != 0 {
		t.Fatalf("after three quick jobs: %d opens, %d closes; want 1 and 0", opens, closes)
	}
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if _, closes := o.counts(); closes == 1 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if _, closes := o.counts(); closes != 1 {
		t.Fatalf("devices not closed after the idle time: %d closes", closes)
	}
	if _, err := r.RunJob(ctx, 2, "clerk1"); err != nil {
		t.Fatal(err)
	}
	if opens, _ := o.counts(); opens != 2 {
		t.Errorf("job after the idle close: %d opens, want 2", opens)
	}
	r.Close()
	if _, closes := o.counts(); closes != 2 {
		t.Errorf("Close: %d closes, want 2", closes)
	}
}

func TestStationRunnerRetriesFailedOpen(t *testing.T) {
	o := &countingOpener{failures: 1}
	r := NewStationRunner(o.open, time.Minute, logging.Discard())
	defer r.Close()
	if err := r.Warm(context.Background()); err == nil {
		t.Fatal("Warm with no printer: no error")
	}
	if _, err := r.RunJob(context.Background(), 1, "clerk1"); err != nil {
		t.Fatalf("job after the printer came back: %v", err)
	}
	if opens, _ := o.counts(); opens != 1 {
		t.Errorf("%d opens, want 1", opens)
	}
}

func TestStationRunnerReopen(t *testing.T) {
	o := &countingOpener{}
	r := NewStationRunner(o.open, time.Hour, logging.Discard())
	defer r.Close()
	ctx := context.Background()

	if err := r.Warm(ctx); err != nil {
		t.Fatal(err)
	}
	r.Reopen()
	if _, closes := o.counts(); closes != 1 {
		t.Errorf("idle devices closed %d times by Reopen, want 1", closes)
	}

	if _, err := r.acquire(ctx); err != nil {
		t.Fatal(err)
	}
	r.Reopen()
	if _, closes := o.counts(); closes != 1 {
		t.Errorf("Reopen closed the devices under a job: %d closes", closes)
	}
	r.release()
	if _, closes := o.counts(); closes != 2 {
		t.Errorf("devices closed %d times after the job, want 2", closes)
	}

	if _, err := r.RunJob(ctx, 1, "clerk1"); err != nil {
		t.Fatal(err)
	}
	if opens, _ := o.counts(); opens != 3 {
		t.Errorf("devices opened %d times, want 3", opens)
	}
}
