package operators_test

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"permitdesk/app/audit"
	"permitdesk/app/logging"
	"permitdesk/app/operators"
	"permitdesk/app/store"
)

// cheap keeps argon2id fast in tests; production uses the defaults.
var cheap = operators.HashParams{Memory: 64, Time: 1, Threads: 1}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func setup(t *testing.T) (*operators.Service, *sql.DB, *clock) {
	t.Helper()
	db, err := store.OpenMigrated(context.Background(), t.TempDir(), logging.Discard())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	clk := &clock{t: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)}
	svc := operators.New(db, operators.Options{Hash: cheap, Now: clk.Now, MaxFailures: 3})
	ctx := context.Background()
	if _, err := svc.Add(ctx, nil, operators.NewOperator{Login: "boss", Name: "Boss", Role: operators.Supervisor,
		Password: "supervisor-pw"}); err != nil {
		t.Fatal(err)
	}
	boss, err := svc.Login(ctx, "boss", "supervisor-pw")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Add(ctx, boss, operators.NewOperator{Login: "clerk1", Name: "Clerk", Role: operators.Clerk,
		Password: "clerk-password"}); err != nil {
		t.Fatal(err)
	}
	return svc, db, clk
}

func TestPasswordHashPHCFormat(t *testing.T) {
	phc, err := operators.HashPassword("secret-pw", cheap)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(phc, "$argon2id$v=19$m=64,t=1,p=1$") {
		t.Errorf("hash %q is not an argon2id PHC string", phc)
	}
	if ok, err := operators.CheckPassword(phc, "secret-pw"); !ok || err != nil {
		t.Errorf("right password rejected: %v", err)
	}
	if ok, _ := operators.CheckPassword(phc, "secret-pW"); ok {
		t.Error("wrong password accepted")
	}
	if _, err := operators.CheckPassword("$2a$10$bcrypt", "x"); err == nil {
		t.Error("bcrypt string accepted as argon2id")
	}
}

func TestLoginWrongPassword(t *testing.T) {
	svc, _, _ := setup(t)
	_, err := svc.Login(context.Background(), "clerk1", "nope-nope")
	if !errors.Is(err, operators.ErrBadCredentials) {
		t.Fatalf("err = %v, want ErrBadCredentials", err)
	}
	_, err = svc.Login(context.Background(), "ghost", "whatever1")
	if !errors.Is(err, operators.ErrBadCredentials) {
		t.Fatalf("unknown login: err = %v, want ErrBadCredentials", err)
	}
}

func TestUnknownLoginMasked(t *testing.T) {
	db, err := store.OpenMigrated(context.Background(), t.TempDir(), logging.Discard())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var logs bytes.Buffer
	svc := operators.New(db, operators.Options{Hash: cheap, Logger: slog.New(slog.NewJSONHandler(&logs, nil))})
	typed := "Clerk-pass-2026"
	if _, err := svc.Login(context.Background(), typed, "x"); !errors.Is(err, operators.ErrBadCredentials) {
		t.Fatalf("unknown login: err = %v, want ErrBadCredentials", err)
	}

	if strings.Contains(logs.String(), typed) {
		t.Errorf("log contains the unknown login:\n%s", logs.String())
	}
	if !strings.Contains(logs.String(), "C…(15 chars, sha256 ") {
		t.Errorf("log lacks the masked login:\n%s", logs.String())
	}
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM audit_log WHERE actor LIKE '%' || ? || '%'
		OR subject LIKE '%' || ? || '%' OR detail LIKE '%' || ? || '%'`, typed, typed, typed).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("%d audit entries contain the unknown login", n)
	}
}

func TestMaskLogin(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", "(empty)"},
		{"ghost", "g…(5 chars, sha256 "},
		{"张三丰", "张…(3 chars, sha256 "},
	}
	for _, tt := range tests {
		if got := operators.MaskLogin(tt.in); !strings.HasPrefix(got, tt.want) {
			t.Errorf("MaskLogin(%q) = %q, want prefix %q", tt.in, got, tt.want)
		}
	}
	first, again := operators.MaskLogin("ghost"), operators.MaskLogin("ghost")
	if first != again {
		t.Errorf("MaskLogin gives %q, then %q for the same text", first, again)
	}
	if operators.MaskLogin("ghost") == operators.MaskLogin("ghosT") {
		t.Error("MaskLogin gives two texts the same mask")
	}
}

func TestLoginLockout(t *testing.T) {
	svc, db, clk := setup(t)
	ctx := context.Background()
	for range 3 {
		if _, err := svc.Login(ctx, "clerk1", "wrong-pass"); !errors.Is(err, operators.ErrBadCredentials) {
			t.Fatalf("err = %v", err)
		}
	}
	_, err := svc.Login(ctx, "clerk1", "clerk-password")
	if !errors.Is(err, operators.ErrLocked) {
		t.Fatalf("right password while locked: err = %v, want ErrLocked", err)
	}
	clk.Add(16 * time.Minute)
	if _, err := svc.Login(ctx, "clerk1", "clerk-password"); err != nil {
		t.Fatalf("login after lockout expired: %v", err)
	}
	var failed int
	db.QueryRow(`SELECT count(*) FROM audit_log WHERE action = ?`, audit.ActionLoginFailed).Scan(&failed)
	if failed != 4 {
		t.Errorf("audit has %d failed logins, want 4", failed)
	}
}

func TestSessionTimeout(t *testing.T) {
	svc, _, clk := setup(t)
	ctx := context.Background()
	s, err := svc.Login(ctx, "clerk1", "clerk-password")
	if err != nil {
		t.Fatal(err)
	}
	clk.Add(10 * time.Minute)
	if _, err := svc.Session(ctx, s.ID); err != nil {
		t.Fatalf("active session rejected: %v", err)
	}
	clk.Add(16 * time.Minute)
	if _, err := svc.Session(ctx, s.ID); !errors.Is(err, operators.ErrSessionExpired) {
		t.Fatalf("idle session: err = %v, want ErrSessionExpired", err)
	}
	if _, err := svc.Session(ctx, s.ID); !errors.Is(err, operators.ErrNoSession) {
		t.Fatalf("ended session: err = %v, want ErrNoSession", err)
	}
}

func TestClerkCannotManageOperators(t *testing.T) {
	svc, _, _ := setup(t)
	ctx := context.Background()
	clerk, err := svc.Login(ctx, "clerk1", "clerk-password")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.List(ctx, clerk); !errors.Is(err, operators.ErrForbidden) {
		t.Errorf("clerk list: err = %v, want ErrForbidden", err)
	}
	if err := svc.Disable(ctx, clerk, "boss"); !errors.Is(err, operators.ErrForbidden) {
		t.Errorf("clerk disable: err = %v, want ErrForbidden", err)
	}
	if _, err := svc.Add(ctx, nil, operators.NewOperator{Login: "x", Role: operators.Clerk,
		Password: "password1"}); !errors.Is(err, operators.ErrNoSession) {
		t.Errorf("add without session once operators exist: err = %v", err)
	}
	if err := svc.SetPassword(ctx, clerk, "clerk1", "new-password"); err != nil {
		t.Errorf("clerk changing own password: %v", err)
	}
}

func TestDisableEndsSessions(t *testing.T) {
	svc, _, _ := setup(t)
	ctx := context.Background()
	clerk, _ := svc.Login(ctx, "clerk1", "clerk-password")
	boss, _ := svc.Login(ctx, "boss", "supervisor-pw")
	if err := svc.Disable(ctx, boss, "clerk1"); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Session(ctx, clerk.ID); !errors.Is(err, operators.ErrNoSession) {
		t.Errorf("session of disabled operator: err = %v", err)
	}
	if _, err := svc.Login(ctx, "clerk1", "clerk-password"); !errors.Is(err, operators.ErrDisabled) {
		t.Errorf("disabled login: err = %v, want ErrDisabled", err)
	}
}

func TestApprovalUsedOnce(t *testing.T) {
	svc, db, clk := setup(t)
	ctx := context.Background()
	clerk, _ := svc.Login(ctx, "clerk1", "clerk-password")
	if _, err := svc.Approve(ctx, clerk, "clerk1", "clerk-password", "void"); !errors.Is(err,
		operators.ErrForbidden) {
		t.Fatalf("clerk approving: err = %v, want ErrForbidden", err)
	}
	if _, err := svc.Approve(ctx, clerk, "boss", "bad-password", "void"); !errors.Is(err,
		operators.ErrBadCredentials) {
		t.Fatalf("wrong supervisor password: err = %v", err)
	}
	ap, err := svc.Approve(ctx, clerk, "boss", "supervisor-pw", "void")
	if err != nil {
		t.Fatal(err)
	}
	consume := func(s *operators.Session, action string) error {
		return store.InTx(ctx, db, func(tx *sql.Tx) error {
			_, err := svc.ConsumeApproval(ctx, tx, s, ap.ID, action)
			return err
		})
	}
	if err := consume(clerk, "reprint"); !errors.Is(err, operators.ErrNoApproval) {
		t.Errorf("approval for another action: err = %v", err)
	}
	other, _ := svc.Login(ctx, "boss", "supervisor-pw")
	if err := consume(other, "void"); !errors.Is(err, operators.ErrNoApproval) {
		t.Errorf("approval from another session: err = %v", err)
	}
	if err := consume(clerk, "void"); err != nil {
		t.Fatalf("first use: %v", err)
	}
	if err := consume(clerk, "void"); !errors.Is(err, operators.ErrNoApproval) {
		t.Errorf("second use: err = %v, want ErrNoApproval", err)
	}
	late, _ := svc.Approve(ctx, clerk, "boss", "supervisor-pw", "void")
	clk.Add(3 * time.Minute)
	ap = late
	if err := consume(clerk, "void"); !errors.Is(err, operators.ErrNoApproval) {
		t.Errorf("expired approval: err = %v", err)
	}
}

func TestFirstOperatorMustBeSupervisor(t *testing.T) {
	db, err := store.OpenMigrated(context.Background(), t.TempDir(), logging.Discard())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	svc := operators.New(db, operators.Options{Hash: cheap})
	ctx := context.Background()
	_, err = svc.Add(ctx, nil, operators.NewOperator{Login: "c1", Role: operators.Clerk, Password: "clerk-password"})
	if err == nil {
		t.Fatal("first operator added as a clerk")
	}
	if !strings.Contains(err.Error(), "must be a supervisor") {
		t.Errorf("error %q does not say the first operator must be a supervisor", err)
	}
	if _, err := svc.Add(ctx, nil, operators.NewOperator{Login: "boss", Role: operators.Supervisor,
		Password: "supervisor-pw"}); err != nil {
		t.Fatalf("first supervisor after a rejected clerk: %v", err)
	}
}

func TestEnableDisabledOperator(t *testing.T) {
	svc, db, _ := setup(t)
	ctx := context.Background()
	boss, err := svc.Login(ctx, "boss", "supervisor-pw")
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.Disable(ctx, boss, "clerk1"); err != nil {
		t.Fatal(err)
	}
	_, err = svc.Login(ctx, "clerk1", "clerk-password")
	if !errors.Is(err, operators.ErrDisabled) {
		t.Fatalf("login while disabled: err = %v, want ErrDisabled", err)
	}
	if !strings.Contains(err.Error(), "operator enable clerk1") {
		t.Errorf("disabled message %q does not name operator enable", err)
	}
	clerk := &operators.Session{Operator: operators.Operator{Login: "clerk2", Role: operators.Clerk}}
	if err := svc.Enable(ctx, clerk, "clerk1"); !errors.Is(err, operators.ErrForbidden) {
		t.Errorf("enable by a clerk: err = %v, want ErrForbidden", err)
	}
	if err := svc.Enable(ctx, boss, "clerk1"); err != nil {
		t.Fatalf("enable: %v", err)
	}
	if _, err := svc.Login(ctx, "clerk1", "clerk-password"); err != nil {
		t.Errorf("login after enable: %v", err)
	}
	if err := svc.Enable(ctx, boss, "ghost"); !errors.Is(err, operators.ErrNotFound) {
		t.Errorf("enable unknown login: err = %v, want ErrNotFound", err)
	}
	var n int
	db.QueryRow(`SELECT count(*) FROM audit_log WHERE action = ? AND detail LIKE '%enable%'`,
		audit.ActionOperator).Scan(&n)
	if n != 1 {
		t.Errorf("audit has %d enable entries, want 1", n)
	}
}

func TestAddLoginCaseCollision(t *testing.T) {
	svc, _, _ := setup(t)
	ctx := context.Background()
	boss, err := svc.Login(ctx, "boss", "supervisor-pw")
	if err != nil {
		t.Fatal(err)
	}
	_, err = svc.Add(ctx, boss, operators.NewOperator{Login: "CLERK1", Role: operators.Clerk,
		Password: "clerk-password"})
	if err == nil {
		t.Fatal("CLERK1 added next to clerk1")
	}
	if !strings.Contains(err.Error(), `"clerk1" already exists`) {
		t.Errorf("error %q does not name the existing login", err)
	}
}
