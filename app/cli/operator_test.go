package cli

import (
	"strings"
	"testing"
)

func TestOperatorEnableAndWording(t *testing.T) {
	cfg, _ := workstationConfig(t)
	t.Setenv(envNewPassword, "boss-password")
	if out, err := runAuditCLI(t, cfg, "operator", "add", "--login", "boss", "--role", "supervisor"); err != nil {
		t.Fatalf("add first supervisor: %v\n%s", err, out)
	}
	t.Setenv(envOperator, "boss")
	t.Setenv(envPassword, "boss-password")
	t.Setenv(envNewPassword, "tech-password")
	out, err := runAuditCLI(t, cfg, "operator", "add", "--login", "tech", "--role", "technician")
	if err != nil {
		t.Fatalf("add technician: %v\n%s", err, out)
	}
	if strings.Contains(out, "()") {
		t.Errorf("add without a name prints empty brackets: %q", out)
	}
	if _, err := runAuditCLI(t, cfg, "operator", "passwd"); err == nil ||
		!strings.Contains(err.Error(), "needs a login") {
		t.Errorf("passwd without a login: err = %v, want a message that a login is needed", err)
	}
	if out, err := runAuditCLI(t, cfg, "operator", "disable", "tech"); err != nil {
		t.Fatalf("disable: %v\n%s", err, out)
	}

	t.Setenv(envOperator, "tech")
	t.Setenv(envPassword, "tech-password")
	_, err = runAuditCLI(t, cfg, "operator", "passwd", "tech")
	if err == nil || !strings.Contains(err.Error(), "operator enable tech") {
		t.Fatalf("disabled login: err = %v, want a hint naming operator enable", err)
	}

	t.Setenv(envOperator, "boss")
	t.Setenv(envPassword, "boss-password")
	if out, err := runAuditCLI(t, cfg, "operator", "enable", "tech"); err != nil {
		t.Fatalf("enable: %v\n%s", err, out)
	}
	out, err = runAuditCLI(t, cfg, "operator", "list")
	if err != nil {
		t.Fatalf("list: %v\n%s", err, out)
	}
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "tech ") && !strings.Contains(line, "active") {
			t.Errorf("tech after enable: %q, want active", line)
		}
	}
}

func TestFirstOperatorClerkRejected(t *testing.T) {
	cfg, _ := workstationConfig(t)
	t.Setenv(envNewPassword, "clerk-password")
	_, err := runAuditCLI(t, cfg, "operator", "add", "--login", "c1")
	if err == nil || !strings.Contains(err.Error(), "must be a supervisor") {
		t.Errorf("first operator as clerk: err = %v, want a message that it must be a supervisor", err)
	}
}

func TestEmptyStationNamesFirstStep(t *testing.T) {
	cfg, _ := workstationConfig(t)
	t.Setenv(envOperator, "boss")
	t.Setenv(envPassword, "boss-password")
	for _, args := range [][]string{{"operator", "list"}, {"queue", "list"}, {"stock", "list"}} {
		_, err := runAuditCLI(t, cfg, args...)
		if err == nil || !strings.Contains(err.Error(), "permitdesk operator add --login NAME --role supervisor") {
			t.Errorf("%s on a station without operators: err = %v, want the command that adds the first supervisor",
				strings.Join(args, " "), err)
		}
	}
}
