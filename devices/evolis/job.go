package evolis

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	"permitdesk/devices"
)

// JobState is how far a card job has gone.
type JobState string

// Job states. A job in JobUnconfirmed may have printed; only Settle moves it.
const (
	JobAtStation   JobState = "at_station"  // card held at the contactless station
	JobPrinting    JobState = "printing"    // download under way, nothing printed yet
	JobPrinted     JobState = "printed"     // the printer confirmed the print
	JobUnconfirmed JobState = "unconfirmed" // the print command was sent; its reply never came
	JobNotPrinted  JobState = "not_printed" // the print failed or was settled as not done
	JobDelivered   JobState = "delivered"   // ejected to the output hopper
	JobRejected    JobState = "rejected"    // ejected to the reject box
)

// Face is one side of the card: a 2-level K panel of 1016 lines of 81 bytes.
// A nil Face is not printed.
type Face []byte

// Job tracks one card through the printer so each step can be recorded and
// an unconfirmed print can be settled from the counters.
type Job struct {
	State JobState
	// Before is read before the card is fed; After when it leaves.
	Before, After Counters
	// Panels is the number of panels the print step sends.
	Panels int
	// Spoiled counts the cards the printer used for this job that were not
	// delivered printed: a rejected card, and any blank card ejected on the
	// way. Valid once the job is delivered or rejected.
	Spoiled int

	printSent bool // Se went out for this card, so it must not be printed again
}

// ErrJobState is wrapped when a step is called out of order.
var ErrJobState = errors.New("card job step out of order")

// FeedToContactless checks the session (setting the error mode again after a
// power cycle), records the counters, and moves a card from the feeder to the
// contactless station (Sic). The caller encodes the chip next. When the
// feed fails the job comes back not_printed with its counters, so a card
// that jammed on the way can still be counted.
func (p *Printer) FeedToContactless(ctx context.Context) (*Job, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, err := p.checkSessionLocked(ctx); err != nil {
		return nil, err
	}
	pos, err := p.positionLocked(ctx)
	if err != nil {
		return nil, err
	}
	if pos != PositionNone {
		return nil, p.fail("feed card", CodeMechanical, fmt.Errorf(
			"a card is already in the printer at the %s position: eject it to the reject box first: %w",
			pos, devices.ErrBusy))
	}
	before, err := p.countersLocked(ctx)
	if err != nil {
		return nil, err
	}
	job := &Job{State: JobNotPrinted, Before: before}
	if _, err := p.doLocked(ctx, "feed card to contactless station", p.opts.MoveTimeout, Frame("Sic")); err != nil {
		return job, err
	}
	pos, err = p.positionLocked(ctx)
	if err != nil {
		return job, err
	}
	if pos != PositionContactless {
		return job, p.fail("feed card", CodeMechanical, fmt.Errorf("card is at the %s position after Sic, want contactless", pos))
	}
	job.State = JobAtStation
	return job, nil
}

// PrintFaces prints front and back (either may be nil) on the card in the
// printer: Ss, Sr and a K download, Sv and a K download, then Se, which
// prints and, with the eject mode this package sets, keeps the card. A job
// whose print command was sent is never sent again: a late reply makes it
// JobUnconfirmed and the error wraps devices.ErrUnconfirmed.
func (p *Printer) PrintFaces(ctx context.Context, job *Job, front, back Face) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if job.State != JobAtStation && job.State != JobNotPrinted {
		return p.fail("print", CodeFailed, fmt.Errorf("%w: job is %s, want at_station", ErrJobState, job.State))
	}
	if job.printSent {
		return p.fail("print", CodeFailed, fmt.Errorf(
			"%w: the print command already went out for this card, which may be partly printed: reject it",
			ErrJobState))
	}
	frames, err := p.printFrames(front, back)
	if err != nil {
		return p.fail("print", CodeFailed, err)
	}
	job.State, job.Panels = JobPrinting, len(frames)/2
	for _, f := range frames {
		timeout := p.opts.Timeout + p.wireTime(len(f))
		if _, err := p.doLocked(ctx, "print: "+commandName(f), timeout, f); err != nil {
			job.State = JobNotPrinted
			return err
		}
	}
	job.printSent = true
	_, err = p.doLocked(ctx, "print", p.opts.MoveTimeout, Frame("Se"))
	switch {
	case err == nil:
		job.State = JobPrinted
		return nil
	case IsCode(err, CodeTimeout) || IsCode(err, CodeOffline) || IsCode(err, CodeOutOfStep):
		job.State = JobUnconfirmed
		p.log.Warn("print reply missing, job unconfirmed", "error", err)
		return p.fail("print", CodeUnconfirmed, fmt.Errorf("%w: %w", devices.ErrUnconfirmed, err))
	}
	job.State = JobNotPrinted
	return err
}

// printFrames builds Ss, then Sr and the front download, then Sv and the
// back download.
func (p *Printer) printFrames(front, back Face) ([][]byte, error) {
	if front == nil && back == nil {
		return nil, errors.New("nothing to print: both faces are empty")
	}
	frames := [][]byte{Frame("Ss")}
	for _, side := range []struct {
		cmd  string
		face Face
	}{{"Sr", front}, {"Sv", back}} {
		if side.face == nil {
			continue
		}
		d, err := p.download('k', side.face)
		if err != nil {
			return nil, err
		}
		frames = append(frames, Frame(side.cmd), d)
	}
	return frames, nil
}

func (p *Printer) download(panel byte, bitmap []byte) ([]byte, error) {
	if p.opts.Uncompressed {
		return DownloadFrame(panel, bitmap)
	}
	return CompressedFrame(panel, bitmap)
}

// Settle decides an unconfirmed job from the printed-panel counter: the job
// printed when the counter moved by at least its panels since Before. It
// returns the new state; a job that is not unconfirmed is returned as is.
func (p *Printer) Settle(ctx context.Context, job *Job) (JobState, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if job.State != JobUnconfirmed {
		return job.State, nil
	}
	now, err := p.countersLocked(ctx)
	if err != nil {
		return job.State, err
	}
	if now.Panels-job.Before.Panels >= job.Panels {
		job.State = JobPrinted
	} else {
		job.State = JobNotPrinted
	}
	p.log.Info("unconfirmed print settled", "state", job.State,
		"panels_before", job.Before.Panels, "panels_now", now.Panels)
	return job.State, nil
}

// Eject sends the printed card to the output hopper (Se outside a sequence)
// and counts any blank card the printer ejected on the way as spoiled.
func (p *Printer) Eject(ctx context.Context, job *Job) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if job.State != JobPrinted {
		return p.fail("eject", CodeFailed, fmt.Errorf("%w: job is %s, want printed (reject it instead)", ErrJobState, job.State))
	}
	if _, err := p.doLocked(ctx, "eject", p.opts.MoveTimeout, Frame("Se")); err != nil {
		return err
	}
	return p.finishLocked(ctx, job, JobDelivered, 1)
}

// EjectToReject sends the card to the reject box (Ser); every card the job
// used is counted as spoiled. It also clears a card left in the printer after
// a fault, with a job from RecoverJob.
func (p *Printer) EjectToReject(ctx context.Context, job *Job) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if job.State == JobUnconfirmed {
		return p.fail("reject", CodeUnconfirmed, fmt.Errorf("%w: settle the job first", ErrJobState))
	}
	if _, err := p.doLocked(ctx, "eject to reject box", p.opts.MoveTimeout, Frame("Ser")); err != nil {
		return err
	}
	return p.finishLocked(ctx, job, JobRejected, 0)
}

func (p *Printer) finishLocked(ctx context.Context, job *Job, state JobState, delivered int) error {
	job.State = state
	after, err := p.countersLocked(ctx)
	if err != nil {
		return err
	}
	job.After = after
	job.Spoiled = max(after.Inserted-job.Before.Inserted-delivered, 0)
	if job.Spoiled > 0 {
		p.log.Warn("cards spoiled", "count", job.Spoiled, "state", state)
	}
	return nil
}

// RecoverCard builds a job for a card found in the printer with no job
// record, as after a crash, a cleared fault or a lost connection. The job
// goes to the reject box with EjectToReject and counts as one spoiled card.
func (p *Printer) RecoverCard(ctx context.Context) (*Job, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	now, err := p.countersLocked(ctx)
	if err != nil {
		return nil, err
	}
	now.Inserted--
	return &Job{State: JobNotPrinted, Before: now}, nil
}

// commandName returns the mnemonic of a frame, such as "Dbc" or "Sr".
func commandName(frame []byte) string {
	end := bytes.IndexAny(frame, ";\r")
	if end < 1 {
		return "?"
	}
	return string(frame[1:end])
}

// wireTime is the time n bytes take on the line at 10 bits a byte. The
// reply wait for a download starts when the last byte is handed to the
// port, but the port's buffer may still hold that much of it.
func (p *Printer) wireTime(n int) time.Duration {
	baud := p.opts.Port.Baud
	if baud <= 0 {
		baud = 9600
	}
	return time.Duration(n) * 10 * time.Second / time.Duration(baud)
}
