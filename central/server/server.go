// Package server is the reference central permit system: the sync API of
// docs/central-api.yaml over HTTPS with client certificates, backed by
// central/store, with failures injected on demand.
//
// A station is identified by the common name of its verified client
// certificate. The certificate's organizational unit must be "station" for
// /v1/ and "admin" for /admin/. The server speaks HTTP/1.1 only, because
// the injected connection drops need to take over the connection.
//
// Limits: it is a development and test server, not the real central system.
// It keeps no audit trail of administrator actions and has no rate limits.
package server

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"permitdesk/central/api"
	"permitdesk/central/pki"
	"permitdesk/central/store"
)

// Options configure New.
type Options struct {
	// Store is the central database; required.
	Store *store.Store
	// Log receives requests that failed and injected faults; nil discards.
	Log *slog.Logger
	// Now is the server clock; nil means time.Now.
	Now func() time.Time
	// Faults are injected from the start; zero injects none.
	Faults Faults
	// FaultSeed seeds the fault choices, for repeatable runs; 0 picks one.
	FaultSeed uint64
	// MaxRequestBytes bounds a request body; 0 means 16 MiB.
	MaxRequestBytes int64
}

// Server serves the sync API.
type Server struct {
	o     Options
	log   *slog.Logger
	mu    sync.Mutex
	inj   injector
	stats Stats
	mux   *http.ServeMux
}

// Stats counts what the server did since it started.
type Stats struct {
	Requests       int64 `json:"requests"`
	Batches        int64 `json:"batches"`
	RecordsDecided int64 `json:"recordsDecided"`
	Accepted       int64 `json:"accepted"`
	Duplicates     int64 `json:"duplicates"`
	Conflicts      int64 `json:"conflicts"`
	Rejected       int64 `json:"rejected"`
	Retry          int64 `json:"retry"`
	Errors         int64 `json:"faultErrors"`
	Drops          int64 `json:"faultDrops"`
	Cuts           int64 `json:"faultCuts"`
	Malformed      int64 `json:"faultMalformed"`
	Oversized      int64 `json:"faultOversized"`
}

// New builds a server.
func New(o Options) (*Server, error) {
	if o.Store == nil {
		return nil, errors.New("server: a store is required")
	}
	if err := o.Faults.Validate(); err != nil {
		return nil, err
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.MaxRequestBytes == 0 {
		o.MaxRequestBytes = 16 << 20
	}
	if o.FaultSeed == 0 {
		o.FaultSeed = rand.Uint64()
	}
	s := &Server{o: o, log: o.Log.With("component", "central"), mux: http.NewServeMux()}
	s.inj = injector{f: o.Faults, rng: rand.New(rand.NewPCG(o.FaultSeed, 1))}
	s.routes()
	return s, nil
}

func (s *Server) routes() {
	v1 := func(pattern string, h func(http.ResponseWriter, *http.Request, string)) {
		s.mux.Handle(pattern, s.faulty(s.station(h)))
	}
	v1("GET /v1/time", s.getTime)
	v1("GET /v1/applications", s.listApplications)
	v1("GET /v1/applications/{id}/photo", s.getPhoto)
	v1("GET /v1/revocations", s.listRevocations)
	v1("GET /v1/permits/{number}/status", s.getPermitStatus)
	v1("GET /v1/house-codes/{code}", s.getHouseCode)
	v1("GET /v1/house-code-changes", s.listHouseCodeChanges)
	v1("GET /v1/seal-keys", s.listSealKeys)
	v1("POST /v1/records", s.pushRecords)
	s.mux.Handle("GET /admin/faults", s.admin(s.getFaults))
	s.mux.Handle("PUT /admin/faults", s.admin(s.putFaults))
	s.mux.Handle("GET /admin/stats", s.admin(s.getStats))
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.fail(w, http.StatusNotFound, "not_found", fmt.Sprintf("no endpoint %s %s: see docs/central-api.yaml", r.Method, r.URL.Path))
	})
}

// Handler returns the HTTP handler; it expects requests that came over TLS
// with a verified client certificate.
func (s *Server) Handler() http.Handler { return s.mux }

// SetFaults replaces the injected faults and restarts the batch count.
func (s *Server) SetFaults(f Faults) error {
	if err := f.Validate(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.inj.f, s.inj.batches = f, 0
	s.log.Info("faults set", "faults", f)
	return nil
}

// Faults returns the faults in force, with the Next counters left.
func (s *Server) Faults() Faults {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.inj.f
}

// Stats returns a copy of the counters.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stats
}

func (s *Server) count(fn func(*Stats)) {
	s.mu.Lock()
	fn(&s.stats)
	s.mu.Unlock()
}

// Serve accepts TLS connections on ln until ctx ends, then shuts down
// gracefully for up to five seconds.
func (s *Server) Serve(ctx context.Context, ln net.Listener, tlsConfig *tls.Config) error {
	protocols := new(http.Protocols)
	protocols.SetHTTP1(true)
	srv := &http.Server{
		Handler:           s.mux,
		TLSConfig:         tlsConfig,
		Protocols:         protocols,
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          log.New(slogWriter{s.log}, "", 0),
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(shutdown)
	}()
	err := srv.ServeTLS(ln, "", "")
	if errors.Is(err, http.ErrServerClosed) {
		<-done
		return nil
	}
	return err
}

// slogWriter turns net/http's error log, where failed TLS handshakes such as
// a refused client certificate are reported, into warnings.
type slogWriter struct{ log *slog.Logger }

func (w slogWriter) Write(p []byte) (int, error) {
	w.log.Warn("http server", "error", string(trimNewline(p)))
	return len(p), nil
}

func trimNewline(p []byte) []byte {
	if n := len(p); n > 0 && p[n-1] == '\n' {
		return p[:n-1]
	}
	return p
}

// ListenAndServe loads the TLS configuration from pkiDir and serves on addr
// until ctx ends. ready, when not nil, receives the bound address.
func (s *Server) ListenAndServe(ctx context.Context, addr, pkiDir string, ready func(net.Addr)) error {
	tlsConfig, err := pki.ServerTLS(pkiDir)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", addr, err)
	}
	if ready != nil {
		ready(ln.Addr())
	}
	return s.Serve(ctx, ln, tlsConfig)
}

// station checks the client certificate's role and passes its name on.
func (s *Server) station(h func(http.ResponseWriter, *http.Request, string)) http.HandlerFunc {
	return s.withRole(pki.RoleStation, h)
}

func (s *Server) admin(h func(http.ResponseWriter, *http.Request, string)) http.HandlerFunc {
	return s.withRole(pki.RoleAdmin, h)
}

func (s *Server) withRole(role string, h func(http.ResponseWriter, *http.Request, string)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.TLS == nil || len(r.TLS.PeerCertificates) == 0 {
			s.fail(w, http.StatusUnauthorized, "unauthorized", "a client certificate signed by the central CA is required")
			return
		}
		got, name := pki.Role(r.TLS.PeerCertificates[0])
		if got != role || name == "" {
			s.fail(w, http.StatusForbidden, "forbidden",
				fmt.Sprintf("certificate %q has role %q, this endpoint needs a %q certificate", name, got, role))
			return
		}
		h(w, r, name)
	}
}

// faulty injects the configured faults around a /v1/ handler.
func (s *Server) faulty(next http.Handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		isBatch := r.Method == http.MethodPost && r.URL.Path == "/v1/records"
		s.mu.Lock()
		s.stats.Requests++
		delay, f := s.inj.delay(), s.inj.pick(isBatch)
		s.mu.Unlock()
		if delay > 0 {
			select {
			case <-time.After(delay):
			case <-r.Context().Done():
				return
			}
		}
		switch f {
		case faultError:
			s.count(func(st *Stats) { st.Errors++ })
			s.fail(w, http.StatusServiceUnavailable, "unavailable", "injected server error: try again later")
			return
		case faultCut:
			s.count(func(st *Stats) { st.Cuts++ })
			closeConn(w)
			return
		}
		buf := newBufferedWriter()
		next.ServeHTTP(buf, r)
		if isBatch && buf.status == http.StatusOK {
			s.mu.Lock()
			s.inj.batches++
			s.mu.Unlock()
		}
		s.reply(w, buf, f)
	}
}

func (s *Server) reply(w http.ResponseWriter, buf *bufferedWriter, f fault) {
	body := buf.body.Bytes()
	switch f {
	case faultDrop:
		s.count(func(st *Stats) { st.Drops++ })
		closeConn(w)
	case faultMalformed:
		s.count(func(st *Stats) { st.Malformed++ })
		broken := append(append([]byte{}, body[:len(body)/2]...), []byte(`,"results":[{"idem`)...)
		buf.copyTo(w, broken, 0)
	case faultOversize:
		s.count(func(st *Stats) { st.Oversized++ })
		pad := s.Faults().OversizeBytes
		if pad == 0 {
			pad = 40 << 20
		}
		buf.copyTo(w, body, pad)
	default:
		buf.copyTo(w, body, 0)
	}
}

func (s *Server) envelope() api.Envelope {
	seq, err := s.o.Store.MaxSeq(context.Background())
	if err != nil {
		s.log.Error("read sequence", "error", err)
	}
	return api.Envelope{ServerTime: s.o.Now().UTC(), ServerSeq: seq}
}

func (s *Server) writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		s.log.Error("write reply", "error", err)
	}
}

func (s *Server) fail(w http.ResponseWriter, status int, code, msg string) {
	env := s.envelope()
	if status >= 500 {
		s.log.Warn("request failed", "status", status, "code", code, "message", msg)
	}
	s.writeJSON(w, status, api.ErrorResponse{ServerTime: env.ServerTime, ServerSeq: env.ServerSeq, Code: code, Message: msg})
}

func (s *Server) failStore(w http.ResponseWriter, err error) {
	if errors.Is(err, store.ErrNotFound) {
		s.fail(w, http.StatusNotFound, "not_found", err.Error())
		return
	}
	s.log.Error("store", "error", err)
	s.fail(w, http.StatusInternalServerError, "internal", "central store failed: "+err.Error())
}

// cursor parses the after and limit query parameters.
func cursor(r *http.Request) (after int64, limit int, err error) {
	q := r.URL.Query()
	limit = 500
	if v := q.Get("after"); v != "" {
		if after, err = strconv.ParseInt(v, 10, 64); err != nil || after < 0 {
			return 0, 0, fmt.Errorf("after=%q is not a sequence: use a non-negative integer from a previous page's next", v)
		}
	}
	if v := q.Get("limit"); v != "" {
		if limit, err = strconv.Atoi(v); err != nil || limit < 1 || limit > 1000 {
			return 0, 0, fmt.Errorf("limit=%q is out of range: use 1 to 1000", v)
		}
	}
	return after, limit, nil
}

func nextCursor(after int64, lastSeq func() int64, n int) int64 {
	if n == 0 {
		return after
	}
	return lastSeq()
}
