package rewrite

import "sync"

// bus fans progress events out to subscribers and keeps the latest event
// of each job. A subscriber that falls behind loses events rather than
// blocking the job; Snapshot always has the latest state.
type bus struct {
	mu     sync.Mutex
	subs   map[int]chan Progress
	next   int
	latest map[int64]Progress
}

func newBus() *bus {
	return &bus{subs: map[int]chan Progress{}, latest: map[int64]Progress{}}
}

func (b *bus) subscribe(buffer int) (<-chan Progress, func()) {
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

func (b *bus) publish(p Progress) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.latest[p.JobID] = p
	for _, ch := range b.subs {
		select {
		case ch <- p:
		default:
		}
	}
}

func (b *bus) snapshot() []Progress {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make([]Progress, 0, len(b.latest))
	for _, p := range b.latest {
		out = append(out, p)
	}
	return out
}
