package issuance

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"maragu.dev/goqite"

	"permitdesk/app/permit"
	"permitdesk/app/store"
)

// anyApps returns a valid application for every id, so a benchmark can
// queue as many jobs as it needs.
type anyApps struct{}

func (anyApps) Application(ctx context.Context, id string) (permit.Application, error) {
	a := testApplication(id)
	a.PermitNumber = "P-" + id
	return a, nil
}

func benchHarness(b *testing.B) *harness {
	b.Helper()
	h := openHarness(b, b.TempDir(), newMachine(stockCards), true)
	h.svc.opt.Applications = anyApps{}
	return h
}

// queueCycle returns one job through this package's queue: Enqueue (job,
// event and audit row in one transaction), Claim, and one completing
// transition (with its event and audit row).
func queueCycle(b *testing.B) func(i int) {
	h := benchHarness(b)
	w := h.worker(WorkerOptions{})
	ctx := context.Background()
	return func(i int) {
		j, err := h.svc.Enqueue(ctx, h.clerk, fmt.Sprintf("Q%d", i))
		if err != nil {
			b.Fatal(err)
		}
		if _, err := w.Claim(ctx); err != nil {
			b.Fatal(err)
		}
		if _, err := h.svc.move(ctx, j.ID, change{to: Voided, expect: Queued, actor: "clerk1", step: "done",
			claim: ptr("")}); err != nil {
			b.Fatal(err)
		}
	}
}

// goqiteCycle returns the same cycle on maragu.dev/goqite v0.4.0 (Send,
// Receive, Delete) in a database file opened with the same DSN: WAL,
// synchronous FULL, busy timeout and IMMEDIATE transactions.
func goqiteCycle(b *testing.B) func(i int) {
	db, err := sql.Open("sqlite", store.DSN(filepath.Join(b.TempDir(), "goqite.db")))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	schema, err := os.ReadFile(goqiteSchema(b))
	if err != nil {
		b.Fatal(err)
	}
	if _, err := db.Exec(string(schema)); err != nil {
		b.Fatal(err)
	}
	q := goqite.New(goqite.NewOpts{DB: db, Name: "jobs", Timeout: time.Minute})
	ctx := context.Background()
	body := []byte(`{"application":"Q"}`)
	return func(int) {
		if err := q.Send(ctx, goqite.Message{Body: body}); err != nil {
			b.Fatal(err)
		}
		m, err := q.Receive(ctx)
		if err != nil || m == nil {
			b.Fatalf("receive: %v %v", m, err)
		}
		if err := q.Delete(ctx, m.ID); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkQueueCycle is one enqueue, claim and complete on this package.
func BenchmarkQueueCycle(b *testing.B) {
	cycle := queueCycle(b)
	b.ResetTimer()
	for i := range b.N {
		cycle(i)
	}
}

// BenchmarkGoqiteCycle is one send, receive and delete on goqite.
func BenchmarkGoqiteCycle(b *testing.B) {
	cycle := goqiteCycle(b)
	b.ResetTimer()
	for i := range b.N {
		cycle(i)
	}
}

// BenchmarkQueueVsGoqite alternates the two cycles in one loop, so both see
// the same machine load, and reports each one's time and their ratio.
func BenchmarkQueueVsGoqite(b *testing.B) {
	ours, theirs := queueCycle(b), goqiteCycle(b)
	var oursTime, theirsTime time.Duration
	b.ResetTimer()
	for i := range b.N {
		start := time.Now()
		ours(i)
		mid := time.Now()
		theirs(i)
		oursTime, theirsTime = oursTime+mid.Sub(start), theirsTime+time.Since(mid)
	}
	b.ReportMetric(float64(oursTime.Nanoseconds())/float64(b.N), "permitdesk-ns/cycle")
	b.ReportMetric(float64(theirsTime.Nanoseconds())/float64(b.N), "goqite-ns/cycle")
	b.ReportMetric(float64(oursTime)/float64(theirsTime), "ratio")
}

// goqiteSchema finds schema_sqlite.sql in the module cache.
func goqiteSchema(b *testing.B) string {
	b.Helper()
	out, err := goListDir("maragu.dev/goqite")
	if err != nil {
		b.Skip("goqite source not found: ", err)
	}
	return filepath.Join(out, "schema_sqlite.sql")
}

// BenchmarkIssueFakeDevices is the workflow's own time per card: the whole
// job from enqueue to hand-over, with devices that take no time.
func BenchmarkIssueFakeDevices(b *testing.B) {
	h := benchHarness(b)
	h.m.s.Feeder = b.N + stockCards
	if _, err := h.svc.ReceiveLot(context.Background(), h.boss, "BENCH", int64(b.N)+1); err != nil {
		b.Fatal(err)
	}
	benchIssue(b, h, h.worker(WorkerOptions{}))
}

// BenchmarkIssueEmulators is the same with the real printer driver on the
// printer emulator (pseudo-terminal, no mechanical delays), the real
// encoding service on the card emulator, and the real face renderer.
func BenchmarkIssueEmulators(b *testing.B) {
	e := startEmulated(b, 0, b.N+2)
	h := openHarness(b, b.TempDir(), nil, true)
	h.svc.opt.Applications = anyApps{}
	if _, err := h.svc.ReceiveLot(context.Background(), h.boss, "BENCH", int64(b.N)+1); err != nil {
		b.Fatal(err)
	}
	w, err := NewWorker(WorkerOptions{Service: h.svc, CardPath: e.path, Encoder: e.encoder, Faces: e.faces,
		LockDir: h.dir})
	if err != nil {
		b.Fatal(err)
	}
	defer w.Close()
	benchIssue(b, h, w)
}

func benchIssue(b *testing.B, h *harness, w *Worker) {
	ctx := context.Background()
	b.ResetTimer()
	for i := range b.N {
		j, err := h.svc.Enqueue(ctx, h.clerk, fmt.Sprintf("I%d", i))
		if err != nil {
			b.Fatal(err)
		}
		if _, err := w.RunJob(ctx, j.ID, "clerk1"); err != nil {
			b.Fatal(err)
		}
		if _, err := h.svc.Handover(ctx, h.clerk, j.ID); err != nil {
			b.Fatal(err)
		}
	}
}

func goListDir(module string) (string, error) {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", module).Output()
	dir := strings.TrimSpace(string(out))
	if err == nil && dir == "" {
		err = errors.New("module " + module + " is not in the module cache: run go mod download " + module)
	}
	return dir, err
}
