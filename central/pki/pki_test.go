package pki

import (
	"crypto/x509"
	"errors"
	"net"
	"path/filepath"
	"testing"
	"time"
)

func TestInitWritesVerifiableCertificates(t *testing.T) {
	dir := t.TempDir()
	ca, err := Init(InitOptions{Dir: dir, Stations: []string{"SZ-FT-001"}})
	if err != nil {
		t.Fatal(err)
	}

	pool, err := LoadPool(filepath.Join(dir, CAFile))
	if err != nil {
		t.Fatal(err)
	}
	srvTLS, err := ServerTLS(dir)
	if err != nil {
		t.Fatal(err)
	}
	leaf := srvTLS.Certificates[0].Leaf
	for _, host := range []string{"127.0.0.1", "::1", "localhost"} {
		if err := leaf.VerifyHostname(host); err != nil {
			t.Errorf("server certificate does not cover %s: %v", host, err)
		}
	}
	if !leaf.IPAddresses[0].Equal(net.ParseIP("127.0.0.1")) {
		t.Errorf("first IP address %v", leaf.IPAddresses[0])
	}

	cert, key := StationFiles(dir, "SZ-FT-001")
	cliTLS, err := ClientTLS(filepath.Join(dir, CAFile), cert, key)
	if err != nil {
		t.Fatal(err)
	}
	station := cliTLS.Certificates[0].Leaf
	if _, err := station.Verify(x509.VerifyOptions{Roots: pool, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
		t.Errorf("station certificate does not verify against the CA: %v", err)
	}
	if role, name := Role(station); role != RoleStation || name != "SZ-FT-001" {
		t.Errorf("station certificate role %q name %q", role, name)
	}

	if _, err := Init(InitOptions{Dir: dir}); !errors.Is(err, ErrExists) {
		t.Errorf("second init without force: %v, want ErrExists", err)
	}
	loaded, err := LoadCA(dir)
	if err != nil || !loaded.Cert.Equal(ca.Cert) {
		t.Errorf("LoadCA: %v", err)
	}
}

func TestIssueExpiredClient(t *testing.T) {
	dir := t.TempDir()
	ca, err := Init(InitOptions{Dir: dir, Stations: []string{}})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	cert, key, err := ca.IssueClient("DEV-0009", RoleStation, now, -24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := ClientTLS(filepath.Join(dir, CAFile), cert, key)
	if err != nil {
		t.Fatal(err)
	}
	if leaf := cfg.Certificates[0].Leaf; !leaf.NotAfter.Before(now) {
		t.Errorf("certificate valid until %v, want expired before %v", leaf.NotAfter, now)
	}
}
