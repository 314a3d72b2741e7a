package registry

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"permitdesk/devices"
	"permitdesk/devices/idcard"
)

// EventType is the kind of change an event reports.
type EventType string

// Event types.
const (
	EventPlugged   EventType = "plugged"   // the device was found after being absent
	EventUnplugged EventType = "unplugged" // the device is gone
	EventState     EventType = "state"     // the state, reason or path changed
)

// Event is one change of one device.
type Event struct {
	// Seq numbers events from 1 without gaps.
	Seq    uint64        `json:"seq"`
	Time   time.Time     `json:"time"`
	Type   EventType     `json:"type"`
	Device string        `json:"device"`
	From   devices.State `json:"from"`
	Status Status        `json:"status"`
}

// MaxQueue bounds the events waiting for one subscriber.
const MaxQueue = 4096

// ErrFellBehind is returned by Next when a subscriber left more than
// MaxQueue events unread. Subscribe again to get a fresh snapshot.
var ErrFellBehind = errors.New("device event subscriber fell behind")

// ErrClosed is returned by Next after Close.
var ErrClosed = errors.New("device event subscription closed")

// Subscription is a snapshot plus every event after it.
type Subscription struct {
	// Snapshot is every device's status when the subscription began.
	Snapshot []Status
	// Seq is the sequence number of the last event the snapshot includes.
	Seq uint64

	r     *Registry
	mu    sync.Mutex
	queue []Event
	wake  chan struct{}
	err   error
}

// Subscribe returns the current statuses and the stream of later events.
// Both are taken under one lock, so no event is lost or seen twice.
func (r *Registry) Subscribe() *Subscription {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := &Subscription{Snapshot: r.snapshotLocked(), Seq: r.seq, r: r, wake: make(chan struct{}, 1)}
	r.subs[s] = struct{}{}
	return s
}

// Next returns the next event, waiting until one arrives or ctx ends.
func (s *Subscription) Next(ctx context.Context) (Event, error) {
	for {
		s.mu.Lock()
		if len(s.queue) > 0 {
			ev := s.queue[0]
			s.queue = s.queue[1:]
			s.mu.Unlock()
			return ev, nil
		}
		err := s.err
		s.mu.Unlock()
		if err != nil {
			return Event{}, err
		}
		select {
		case <-ctx.Done():
			return Event{}, ctx.Err()
		case <-s.wake:
		}
	}
}

// Close ends the subscription.
func (s *Subscription) Close() {
	s.r.mu.Lock()
	delete(s.r.subs, s)
	s.r.mu.Unlock()
	s.fail(ErrClosed)
}

func (s *Subscription) push(ev Event) {
	s.mu.Lock()
	if len(s.queue) >= MaxQueue {
		s.queue = nil
		s.mu.Unlock()
		s.fail(fmt.Errorf("%w: %d events unread", ErrFellBehind, MaxQueue))
		return
	}
	s.queue = append(s.queue, ev)
	s.mu.Unlock()
	s.signal()
}

func (s *Subscription) fail(err error) {
	s.mu.Lock()
	if s.err == nil {
		s.err = err
	}
	s.mu.Unlock()
	s.signal()
}

func (s *Subscription) signal() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// setLocked changes a device's state, reason and location, and emits an
// event when any of them changed. The caller holds r.mu.
func (r *Registry) setLocked(e *entry, st devices.State, reason string, loc Location) {
	from := e.status.State
	if from == st && e.status.Reason == reason && e.loc.Path == loc.Path {
		return
	}
	now := r.opts.Now()
	if from != st {
		e.status.Since = now
	}
	e.status.State, e.status.Reason, e.status.Path, e.loc = st, reason, loc.Path, loc
	r.emitLocked(e, from, now)
}

// emitLocked sends e's current status to every subscriber as a change from
// the state from, made at now. The caller holds r.mu.
func (r *Registry) emitLocked(e *entry, from devices.State, now time.Time) {
	r.seq++
	st := e.status.State
	ev := Event{Seq: r.seq, Time: now, Type: eventType(from, st), Device: e.spec.Name, From: from,
		Status: e.status}
	ev.Status.Capabilities = append([]string(nil), e.status.Capabilities...)
	r.log.Info("device state changed", "device", e.spec.Name, "from", string(from), "to", string(st),
		"path", e.status.Path, "reason", e.status.Reason)
	for s := range r.subs {
		s.push(ev)
	}
}

func eventType(from, to devices.State) EventType {
	switch {
	case from == devices.StateAbsent && to != devices.StateAbsent:
		return EventPlugged
	case from != devices.StateAbsent && to == devices.StateAbsent:
		return EventUnplugged
	}
	return EventState
}

// Use marks a ready device busy while fn runs with its location. A device
// error from fn puts the device in the error state with the error as reason,
// and it is probed again after backoff. Errors about the card or the
// operator's input (no card, card removed, wrong card, an invalid card
// field, cancellation) leave it ready. Use returns fn's error, or an error
// wrapping devices.ErrNotConnected or devices.ErrBusy when the device is not
// ready.
func (r *Registry) Use(ctx context.Context, name string, fn func(context.Context, Location) error) error {
	e, loc, err := r.acquire(name)
	if err != nil {
		return err
	}
	ferr := fn(ctx, loc)
	r.mu.Lock()
	defer r.mu.Unlock()
	if e.status.State != devices.StateBusy {
		return ferr // unplugged meanwhile; the scan already recorded it
	}
	if ferr == nil || !deviceFault(ferr) {
		r.setLocked(e, devices.StateReady, "", e.loc)
		return ferr
	}
	e.status.Failures++
	e.nextProbe = r.opts.Now().Add(r.backoff(e.status.Failures))
	r.setLocked(e, devices.StateError, ferr.Error(), e.loc)
	return ferr
}

func (r *Registry) acquire(name string) (*entry, Location, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	e, ok := r.byName[name]
	if !ok {
		return nil, Location{}, fmt.Errorf("%w %q", ErrUnknownDevice, name)
	}
	switch e.status.State {
	case devices.StateReady:
	case devices.StateBusy:
		return nil, Location{}, fmt.Errorf("device %s is busy: %w", name, devices.ErrBusy)
	default:
		return nil, Location{}, fmt.Errorf("device %s is %s (%s): %w", name, e.status.State,
			e.status.Reason, devices.ErrNotConnected)
	}
	r.setLocked(e, devices.StateBusy, "", e.loc)
	return e, e.loc, nil
}

func deviceFault(err error) bool {
	for _, cardLevel := range []error{devices.ErrNoCard, devices.ErrCardRemoved, devices.ErrWrongCard,
		idcard.ErrInvalid, context.Canceled, context.DeadlineExceeded} {
		if errors.Is(err, cardLevel) {
			return false
		}
	}
	return true
}
