package diag

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"time"

	"permitdesk/app/sync"
	"permitdesk/central/pki"
)

var centralCheckIDs = []string{"central.certificates", "central.tls", "central.latency", "central.clock",
	"central.last_sync"}

// checkCentral checks the station certificates, the TLS handshake, the
// API's latency and clock, and the last successful sync.
func (s *Service) checkCentral(ctx context.Context) []Check {
	l := checkList{device: "central"}
	c := s.opts.Config.Central
	if c.URL == "" {
		l.skipRest(centralCheckIDs, "offline_only", "offline-only station: central.url is not set")
		return l.checks
	}
	s.checkCertificates(&l)
	if s.checkTLS(ctx, &l) {
		s.checkAPI(ctx, &l)
	}
	s.checkLastSync(ctx, &l)
	l.skipRest(centralCheckIDs, "prerequisite", "the central system cannot be reached")
	return l.checks
}

// checkCertificates reads the CA and station certificates and reports the
// one that expires first.
func (s *Service) checkCertificates(l *checkList) {
	c := s.opts.Config.Central
	now := s.opts.Now()
	d := map[string]string{"key_file": c.KeyFile}
	worst := StatusPass
	reason, fix := "", ""
	for _, f := range []struct{ name, path string }{{"ca", c.CAFile}, {"station", c.CertFile}} {
		cert, err := readCert(f.path)
		if err != nil {
			l.fail("central.certificates", err.Error(), "install the "+f.name+" certificate at "+f.path+
				", or correct central."+map[string]string{"ca": "ca_file", "station": "cert_file"}[f.name], d).
				variant("read_failed")
			return
		}
		left := cert.NotAfter.Sub(now)
		d[f.name+"_subject"] = cert.Subject.String()
		d[f.name+"_not_after"] = cert.NotAfter.UTC().Format(time.RFC3339)
		d[f.name+"_days_left"] = fmt.Sprintf("%d", int(left.Hours()/24))
		st, r, fx := certStatus(f.name, cert, left, s.opts.CertWarn)
		if st.rank() > worst.rank() {
			worst, reason, fix = st, r, fx
		}
	}
	switch worst {
	case StatusPass:
		l.pass("central.certificates", "certificates valid for more than "+
			fmt.Sprintf("%d days", int(s.opts.CertWarn.Hours()/24)), d)
	default:
		l.add("central.certificates", worst, reason, fix, d).variant(certVariant(worst))
	}
}

// certVariant is the code variant of a certificate status from certStatus.
func certVariant(st Status) string {
	if st == StatusFail {
		return "expired"
	}
	return "expiring"
}

func certStatus(name string, cert *x509.Certificate, left, warn time.Duration) (Status, string, string) {
	renew := fmt.Sprintf("ask the central system's administrator for a new %s certificate and install it",
		name)
	switch {
	case left <= 0:
		return StatusFail, fmt.Sprintf("the %s certificate %q expired on %s", name, cert.Subject.CommonName,
			cert.NotAfter.UTC().Format("2006-01-02")), renew
	case left < warn:
		return StatusWarn, fmt.Sprintf("the %s certificate %q expires in %d days, on %s", name,
			cert.Subject.CommonName, int(left.Hours()/24), cert.NotAfter.UTC().Format("2006-01-02")), renew
	}
	return StatusPass, "", ""
}

func readCert(path string) (*x509.Certificate, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading certificate: %w", err)
	}
	block, _ := pem.Decode(b)
	if block == nil || block.Type != "CERTIFICATE" {
		return nil, fmt.Errorf("%s contains no PEM certificate: install the certificate in PEM form", path)
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("parsing certificate %s: %w", path, err)
	}
	return cert, nil
}

// checkTLS performs a TLS handshake with the station certificate and
// reports the server certificate and the handshake time.
func (s *Service) checkTLS(ctx context.Context, l *checkList) bool {
	host, cfg, problem, fix := s.tlsTarget()
	if problem != "" {
		l.fail("central.tls", problem, fix, nil).variant("config")
		return false
	}
	dialer := &tls.Dialer{NetDialer: &net.Dialer{Timeout: s.opts.CentralTimeout}, Config: cfg}
	ctx, cancel := context.WithTimeout(ctx, s.opts.CentralTimeout)
	defer cancel()
	start := time.Now()
	conn, err := dialer.DialContext(ctx, "tcp", host)
	if err != nil {
		l.fail("central.tls", fmt.Sprintf("TLS handshake with %s failed: %v", host, err), tlsFix(err), nil).
			variant("handshake_failed")
		return false
	}
	defer conn.Close()
	took := time.Since(start)

	st := conn.(*tls.Conn).ConnectionState()
	d := map[string]string{"host": host, "version": tls.VersionName(st.Version),
		"cipher_suite": tls.CipherSuiteName(st.CipherSuite), "handshake_ms": ms(took)}
	if len(st.PeerCertificates) > 0 {
		peer := st.PeerCertificates[0]
		d["server_subject"] = peer.Subject.String()
		d["server_not_after"] = peer.NotAfter.UTC().Format(time.RFC3339)
		left := peer.NotAfter.Sub(s.opts.Now())
		if status, reason, fix := certStatus("server", peer, left, s.opts.CertWarn); status != StatusPass {
			l.add("central.tls", status, reason, fix, d).variant(certVariant(status))
			return true
		}
	}
	l.pass("central.tls", fmt.Sprintf("%s handshake with %s in %s ms", d["version"], host, ms(took)), d)
	return true
}

// tlsTarget returns the server address and the client TLS configuration,
// or the problem and its fix.
func (s *Service) tlsTarget() (string, *tls.Config, string, string) {
	c := s.opts.Config.Central
	u, err := url.Parse(c.URL)
	if err != nil {
		return "", nil, fmt.Sprintf("central.url %q is invalid: %v", c.URL, err), "set central.url to https://host:port"
	}
	cfg, err := pki.ClientTLS(c.CAFile, c.CertFile, c.KeyFile)
	if err != nil {
		return "", nil, "loading the station's TLS files failed: " + err.Error(),
			"check central.ca_file, central.cert_file and central.key_file"
	}
	host := u.Host
	if u.Port() == "" {
		host = net.JoinHostPort(u.Hostname(), "443")
	}
	cfg.ServerName = u.Hostname()
	return host, cfg, "", ""
}

func tlsFix(err error) string {
	var unknownAuthority x509.UnknownAuthorityError
	var invalid x509.CertificateInvalidError
	var hostname x509.HostnameError
	switch {
	case errors.As(err, &unknownAuthority):
		return "central.ca_file is not the CA that signed the server certificate: install the right CA"
	case errors.As(err, &invalid):
		return "the server certificate is invalid at this station's time: check the clock, then ask " +
			"the central system's administrator"
	case errors.As(err, &hostname):
		return "central.url names a host the server certificate does not cover: use the name in the certificate"
	}
	return "check the network cable and central.url; if the server refuses the station certificate, " +
		"ask the central system's administrator to check it"
}

// checkAPI requests the server time, measuring latency and clock skew.
func (s *Service) checkAPI(ctx context.Context, l *checkList) {
	c := s.opts.Config.Central
	client, err := sync.NewClient(sync.ClientOptions{BaseURL: c.URL, CAFile: c.CAFile, CertFile: c.CertFile,
		KeyFile: c.KeyFile, Timeout: s.opts.CentralTimeout, Now: s.opts.Now})
	if err != nil {
		l.fail("central.latency", "building the API client failed: "+err.Error(), "check the [central] section", nil).variant("client_failed")
		return
	}
	defer client.Close()
	_, obs, err := client.Time(ctx)
	if err != nil {
		l.fail("central.latency", "the time request failed: "+err.Error(), tlsFix(err), nil).variant("request_failed")
		return
	}
	latency := obs.Received.Sub(obs.Sent)
	d := map[string]string{"latency_ms": ms(latency)}
	if latency > s.opts.SlowCentral {
		l.warn("central.latency", fmt.Sprintf("the central system answers in %s ms, more than %s ms",
			ms(latency), ms(s.opts.SlowCentral)), "check the network link; syncs and online checks will be slow", d)
	} else {
		l.pass("central.latency", fmt.Sprintf("the central system answers in %s ms", ms(latency)), d)
	}
	s.checkSkew(l, obs.Skew())
}

func (s *Service) checkSkew(l *checkList, skew time.Duration) {
	d := map[string]string{"skew_ms": fmt.Sprintf("%d", skew.Milliseconds())}
	abs := skew.Abs()
	fix := "set the station clock: enable NTP (`timedatectl set-ntp true`) or set the time by hand"
	switch {
	case abs > s.opts.SkewFail:
		l.fail("central.clock", fmt.Sprintf("the station clock is %s off the central system's", skew.Round(time.Second)),
			fix, d)
	case abs > s.opts.SkewWarn:
		l.warn("central.clock", fmt.Sprintf("the station clock is %s off the central system's", skew.Round(time.Second)),
			fix, d)
	default:
		l.pass("central.clock", fmt.Sprintf("clock within %s of the central system's", skew.Abs().Round(time.Millisecond)), d)
	}
}

// checkLastSync reads the stored link state.
func (s *Service) checkLastSync(ctx context.Context, l *checkList) {
	if s.opts.DB == nil {
		l.skip("central.last_sync", "no_database", "the database is not open")
		return
	}
	svc, err := sync.New(sync.Options{DB: s.opts.DB, StationID: s.opts.Config.StationID, Now: s.opts.Now})
	if err != nil {
		l.fail("central.last_sync", "reading the sync state failed: "+err.Error(), "see the storage checks", nil)
		return
	}
	st, err := svc.Status(ctx)
	if err != nil {
		l.fail("central.last_sync", "reading the sync state failed: "+err.Error(), "see the storage checks", nil)
		return
	}
	d := map[string]string{"outbox_depth": fmt.Sprint(st.OutboxDepth), "conflicts": fmt.Sprint(st.Conflicts),
		"rejected": fmt.Sprint(st.Rejected)}
	fix := "check the central checks above; the station works offline and sends its records when the link is back"
	switch {
	case st.LastSuccess == nil:
		l.warn("central.last_sync", "the station has never synced with the central system", fix, d).variant("never")
	case st.OfflineSince != nil:
		d["last_success"] = st.LastSuccess.UTC().Format(time.RFC3339)
		d["offline_since"] = st.OfflineSince.UTC().Format(time.RFC3339)
		l.warn("central.last_sync", fmt.Sprintf("offline since %s: %s", d["offline_since"], st.LastError), fix, d).
			variant("offline")
	case s.opts.Now().Sub(*st.LastSuccess) > s.opts.SyncStale:
		d["last_success"] = st.LastSuccess.UTC().Format(time.RFC3339)
		l.warn("central.last_sync", "the last successful sync was at "+d["last_success"],
			"check that the permitdesk application is running; it syncs in the background", d).variant("stale")
	default:
		d["last_success"] = st.LastSuccess.UTC().Format(time.RFC3339)
		l.pass("central.last_sync", "last successful sync at "+d["last_success"], d)
	}
}
