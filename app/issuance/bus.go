package issuance

import (
	"sync"
	"time"
)

// Progress is one step of a job as the UI shows it.
type Progress struct {
	JobID   int64     `json:"jobId"`
	State   State     `json:"state"`
	Step    string    `json:"step"`
	Percent int       `json:"percent"`
	Message string    `json:"message,omitempty"`
	At      time.Time `json:"at"`
}

// Bus fans progress events out to subscribers and keeps the latest event of
// each job for Snapshot. A subscriber that falls behind loses events rather
// than blocking the worker; Snapshot always has the latest state.
type Bus struct {
	mu      sync.Mutex
	subs    map[int]chan Progress
	next    int
	latest  map[int64]Progress
	dropped int
}

// NewBus returns an empty bus.
func NewBus() *Bus {
	return &Bus{subs: map[int]chan Progress{}, latest: map[int64]Progress{}}
}

// Subscribe returns a channel of events and a function that ends the
// subscription and closes the channel. buffer is the channel size; 0
// means 64.
func (b *Bus) Subscribe(buffer int) (<-chan Progress, func()) {
	if buffer <= 0 {
		buffer = 64
	}
	ch := make(chan Progress, buffer)
	b.mu.Lock()
	id := b.next
	b.next++
	b.subs[id] = ch
	b.mu.Unlock()
	var once sync.Once
	return ch, func() {
		once.Do(func() {
			b.mu.Lock()
			delete(b.subs, id)
			b.mu.Unlock()
			close(ch)
		})
	}
}

// Publish sends p to every subscriber without blocking.
func (b *Bus) Publish(p Progress) {
	if b == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.latest[p.JobID] = p
	for _, ch := range b.subs {
		select {
		case ch <- p:
		default:
			b.dropped++
		}
	}
}

// Snapshot returns the latest event of every job seen since start.
func (b *Bus) Snapshot() map[int64]Progress {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make(map[int64]Progress, len(b.latest))
	for k, v := range b.latest {
		out[k] = v
	}
	return out
}

// Dropped returns how many events slow subscribers missed.
func (b *Bus) Dropped() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.dropped
}
