package issuance

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

var (
	crashTrials = flag.Int("crash.trials", 0,
		"crash-injection trials; 0 means one per crash point plus a few at random times")
	crashSeed = flag.Uint64("crash.seed", 0, "seed for the random choices; 0 means the clock")
)

// crashPoints are the places the child process kills itself: before each
// state's step, right after the device acted (reply not yet returned), and
// right after the device call returned (before the next transaction).
var crashPoints = []string{
	"before:queued", "before:card_fed", "effect:feed", "after:feed",
	"before:encoding", "effect:personalise", "after:personalise",
	"before:encoded", "after:read", "before:verified", "after:status",
	"before:printing", "effect:print", "after:print",
	"before:printed", "effect:eject", "after:eject", "before:ejected",
}

const (
	envCrashDir = "PERMITDESK_CRASH_DIR"
	envCrashAt  = "PERMITDESK_CRASH_AT"
)

// TestCrashChild is the process that TestCrashRecovery kills. It runs every
// queued job and kills itself with SIGKILL at the point named in
// PERMITDESK_CRASH_AT ("effect:print#2" is the second time that point is
// reached).
func TestCrashChild(t *testing.T) {
	dir := os.Getenv(envCrashDir)
	if dir == "" {
		t.Skip("runs only as the child process of TestCrashRecovery")
	}
	point, nth := parseCrashAt(os.Getenv(envCrashAt))
	seen := 0
	kill := func(p string) {
		if p == point {
			if seen++; seen == nth {
				syscall.Kill(os.Getpid(), syscall.SIGKILL)
				select {}
			}
		}
	}
	m, err := loadMachine(filepath.Join(dir, "machine.json"), stockCards)
	if err != nil {
		t.Fatal(err)
	}
	m.hook, m.delay = kill, 500*time.Microsecond
	h := openHarness(t, dir, m, false)
	w := h.worker(WorkerOptions{Hook: kill})
	ctx := context.Background()
	if _, err := w.Recover(ctx); err != nil {
		t.Fatal(err)
	}
	fmt.Println("READY")
	for {
		j, err := w.Claim(ctx)
		if errors.Is(err, ErrNotFound) {
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		w.drive(ctx, j, "clerk1")
	}
}

func parseCrashAt(s string) (string, int) {
	point, nth, ok := strings.Cut(s, "#")
	if !ok {
		return point, 1
	}
	n, _ := strconv.Atoi(nth)
	return point, max(n, 1)
}

type crashTrial struct {
	at     string        // crash point, or "" to kill at a random time
	killIn time.Duration // for a random-time kill, delay after READY
}

func crashPlan(rng *rand.Rand) []crashTrial {
	n := *crashTrials
	if n == 0 {
		n = len(crashPoints) + 6
	}
	plan := make([]crashTrial, n)
	for i := range plan {
		switch {
		case i < len(crashPoints):
			plan[i] = crashTrial{at: crashPoints[i]}
		case i%2 == 0:
			plan[i] = crashTrial{at: fmt.Sprintf("%s#%d", crashPoints[rng.IntN(len(crashPoints))], 1+rng.IntN(2))}
		default:
			plan[i] = crashTrial{killIn: time.Duration(rng.IntN(40_000)) * time.Microsecond}
		}
	}
	return plan
}

// TestCrashRecovery kills an issuing process at every step and at random
// times, restarts, recovers, lets a simulated operator resolve what needs
// attention, and checks every invariant against the database and the fake
// printer's physical state.
func TestCrashRecovery(t *testing.T) {
	if os.Getenv(envCrashDir) != "" {
		t.Skip("child process")
	}
	seed := *crashSeed
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	t.Logf("crash seed %d (rerun with -crash.seed=%d)", seed, seed)
	rng := rand.New(rand.NewPCG(seed, 0))
	outcomes := map[State]int{}
	for i, trial := range crashPlan(rng) {
		name := fmt.Sprintf("%03d_%s", i, strings.NewReplacer(":", "_", "#", "_").Replace(trial.at))
		if trial.at == "" {
			name = fmt.Sprintf("%03d_random_%s", i, trial.killIn)
		}
		t.Run(name, func(t *testing.T) {
			runCrashTrial(t, trial, rand.New(rand.NewPCG(seed, uint64(i+1))), outcomes)
		})
	}
	t.Logf("states found after restart: %v", outcomes)
}

func runCrashTrial(t *testing.T, trial crashTrial, rng *rand.Rand, outcomes map[State]int) {
	dir := t.TempDir()
	m, err := loadMachine(filepath.Join(dir, "machine.json"), stockCards)
	if err != nil {
		t.Fatal(err)
	}
	setup := openHarness(t, dir, m, true)
	first, second := setup.enqueue("A1"), setup.enqueue("A2")
	killed := runChild(t, dir, trial)

	m, err = loadMachine(filepath.Join(dir, "machine.json"), stockCards)
	if err != nil {
		t.Fatal(err)
	}
	h := openHarness(t, dir, m, false)
	w := h.worker(WorkerOptions{StepTimeout: 2 * time.Second})
	recovered, err := w.Recover(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, j := range recovered {
		outcomes[j.State]++
		if j.State == NeedsAttention && j.Attention == "" {
			t.Errorf("job %d needs attention without evidence", j.ID)
		}
	}
	checkEvidence(t, trial.at, h.job(first.ID))
	h.checkInvariants(false)
	for _, id := range []int64{first.ID, second.ID} {
		h.settleJob(t, id, rng)
	}
	h.checkInvariants(true)
	if t.Failed() {
		t.Logf("killed %v; machine %+v", killed, h.m.state())
	}
}

// runChild starts TestCrashChild and returns whether it was killed.
func runChild(t *testing.T, dir string, trial crashTrial) bool {
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), envCrashDir+"="+dir, envCrashAt+"="+trial.at)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := bufio.NewScanner(stdout)
	var out strings.Builder
	for lines.Scan() {
		out.WriteString(lines.Text() + "\n")
		if lines.Text() == "READY" && trial.at == "" {
			time.Sleep(trial.killIn)
			cmd.Process.Kill()
		}
	}
	err = cmd.Wait()
	var exit *exec.ExitError
	if errors.As(err, &exit) && exit.Sys().(syscall.WaitStatus).Signal() == syscall.SIGKILL {
		return true
	}
	if err != nil || !strings.Contains(out.String(), "PASS") {
		t.Fatalf("child failed: %v\n%s%s", err, out.String(), stderr.String())
	}
	return false
}

// settleJob plays the operator after a restart until the job is issued or
// voided, choosing at random among the choices the job offers.
func (h *harness) settleJob(t *testing.T, id int64, rng *rand.Rand) {
	ctx := context.Background()
	for range 10 {
		j := h.job(id)
		var err error
		switch j.State {
		case Issued, Voided:
			return
		case Queued:
			_, err = h.w.RunJob(ctx, id, "clerk1")
		case AwaitingHandover:
			_, err = h.svc.Handover(ctx, h.clerk, id)
		case Spoiled:
			_, err = h.w.Resolve(ctx, h.clerk, id, ChoiceRetry, "", "")
		case NeedsAttention:
			err = h.resolveAtRandom(t, j, rng)
		default:
			t.Fatalf("job %d left in %s after recovery", id, j.State)
		}
		if err != nil {
			t.Fatalf("job %d in %s: %v", id, j.State, err)
		}
	}
	t.Fatalf("job %d not settled after 10 operator actions: %s", id, h.job(id).State)
}

func (h *harness) resolveAtRandom(t *testing.T, j *Job, rng *rand.Rand) error {
	ctx := context.Background()
	switch r := rng.IntN(10); {
	case r < 6:
		_, err := h.w.Resolve(ctx, h.clerk, j.ID, ChoiceContinue, "", "")
		if errors.Is(err, ErrCannotContinue) {
			// The operator reads why and takes a new card instead.
			_, err = h.w.Resolve(ctx, h.clerk, j.ID, ChoiceRetry, "", "")
		}
		return err
	case r < 9:
		_, err := h.w.Resolve(ctx, h.clerk, j.ID, ChoiceRetry, "", "")
		return err
	default:
		_, err := h.w.Resolve(ctx, h.clerk, j.ID, ChoiceVoid, h.approve(ApproveVoid), "crash test void")
		return err
	}
}

// evidenceAt maps each crash point to the evidence that recovery must
// report for the first job.
var evidenceAt = map[string]string{
	"before:queued":      "",
	"before:card_fed":    "feed to the contactless station was not confirmed",
	"effect:feed":        "feed to the contactless station was not confirmed",
	"after:feed":         "feed to the contactless station was not confirmed",
	"before:encoding":    "writing the chip was not confirmed",
	"effect:personalise": "writing the chip was not confirmed",
	"after:personalise":  "writing the chip was not confirmed",
	"before:encoded":     "not yet read back",
	"after:read":         "not yet read back",
	"before:verified":    "printing not started",
	"after:status":       "printing not started",
	"before:printing":    "print not confirmed (printer counter 0 before printing)",
	"effect:print":       "print not confirmed (printer counter 0 before printing)",
	"after:print":        "print not confirmed (printer counter 0 before printing)",
	"before:printed":     "eject not confirmed",
	"effect:eject":       "eject not confirmed",
	"after:eject":        "eject not confirmed",
}

func checkEvidence(t *testing.T, at string, j *Job) {
	t.Helper()
	want, ok := evidenceAt[at]
	switch {
	case at == "before:ejected":
		if j.State != AwaitingHandover {
			t.Errorf("after a crash at %s the job is %s, want awaiting_handover", at, j.State)
		}
	case !ok:
	case want == "":
		if j.State != Queued || j.ClaimedBy != "" {
			t.Errorf("after a crash at %s the job is %s claimed by %q, want queued and free", at, j.State,
				j.ClaimedBy)
		}
	case j.State != NeedsAttention || !strings.Contains(j.Attention, want):
		t.Errorf("after a crash at %s: job %s, evidence %q; want needs_attention with %q", at, j.State,
			j.Attention, want)
	}
}
