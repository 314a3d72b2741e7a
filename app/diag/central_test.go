package diag

import (
	"context"
	"strings"
	"testing"
	"time"

	"permitdesk/app/logging"
	"permitdesk/app/sync"
)

// syncOnce runs one sync round so the station has a last successful sync.
func syncOnce(t *testing.T, s *Service) {
	t.Helper()
	c := s.opts.Config.Central
	client, err := sync.NewClient(sync.ClientOptions{BaseURL: c.URL, CAFile: c.CAFile, CertFile: c.CertFile,
		KeyFile: c.KeyFile})
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	svc, err := sync.New(sync.Options{DB: s.opts.DB, Client: client, StationID: s.opts.Config.StationID,
		Log: logging.Discard()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.SyncOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestCentralGood(t *testing.T) {
	cfg := testConfig(t)
	startCentral(t, &cfg, 365*24*time.Hour)
	s := New(Options{Config: cfg, DB: openDB(t, cfg)})
	r := run(t, s, RunOptions{Devices: []string{"central"}})
	expect(t, r, "central.last_sync", StatusWarn, "")
	syncOnce(t, s)
	r = run(t, s, RunOptions{Devices: []string{"central"}})
	for _, id := range centralCheckIDs {
		expect(t, r, id, StatusPass, "")
	}
	tlsCheck := expect(t, r, "central.tls", StatusPass, "")
	if !strings.HasPrefix(tlsCheck.Details["version"], "TLS 1.") {
		t.Errorf("TLS version %q", tlsCheck.Details["version"])
	}
}

func TestCentralCertificateExpired(t *testing.T) {
	cfg := testConfig(t)
	startCentral(t, &cfg, -48*time.Hour)
	r := run(t, New(Options{Config: cfg}), RunOptions{Devices: []string{"central"}})
	c := expect(t, r, "central.certificates", StatusFail, "new station certificate")
	if !strings.Contains(c.Reason, "expired") {
		t.Errorf("reason %q does not say the certificate expired", c.Reason)
	}
}

func TestCentralCertificateExpiresSoon(t *testing.T) {
	cfg := testConfig(t)
	startCentral(t, &cfg, 10*24*time.Hour)
	r := run(t, New(Options{Config: cfg}), RunOptions{Devices: []string{"central"}})
	c := expect(t, r, "central.certificates", StatusWarn, "new station certificate")
	if !strings.Contains(c.Reason, "expires in") {
		t.Errorf("reason %q does not give the time left", c.Reason)
	}
	expect(t, r, "central.tls", StatusPass, "")
}

func TestCentralUnreachable(t *testing.T) {
	cfg := testConfig(t)
	startCentral(t, &cfg, 365*24*time.Hour)
	cfg.Central.URL = "https://127.0.0.1:1"
	r := run(t, New(Options{Config: cfg, CentralTimeout: 2 * time.Second}), RunOptions{Devices: []string{"central"}})
	expect(t, r, "central.tls", StatusFail, "central.url")
	expect(t, r, "central.latency", StatusSkip, "")
}

func TestCentralClockSkew(t *testing.T) {
	cfg := testConfig(t)
	startCentral(t, &cfg, 365*24*time.Hour)
	ahead := func() time.Time { return time.Now().Add(20 * time.Minute) }
	r := run(t, New(Options{Config: cfg, Now: ahead}), RunOptions{Devices: []string{"central"}})
	expect(t, r, "central.clock", StatusFail, "NTP")
	behind := func() time.Time { return time.Now().Add(-5 * time.Minute) }
	r = run(t, New(Options{Config: cfg, Now: behind}), RunOptions{Devices: []string{"central"}})
	expect(t, r, "central.clock", StatusWarn, "NTP")
}
