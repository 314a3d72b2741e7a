package sync

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"permitdesk/central/api"
)

// Errors of the API client. Every error from Client wraps one of them, and
// none of them changes local data. All but ErrNotFound and ErrRequest are
// link failures that a later attempt may clear.
var (
	// ErrOffline means no reply arrived: no route, refused, reset or timed out.
	ErrOffline = errors.New("central system unreachable")
	// ErrCertRejected means the server rejected the station's certificate.
	ErrCertRejected = errors.New("central system rejected the station certificate")
	// ErrServerUntrusted means the server's certificate failed verification.
	ErrServerUntrusted = errors.New("central system certificate not trusted")
	// ErrServer is a 5xx reply.
	ErrServer = errors.New("central system error")
	// ErrMalformed is a reply that is not the JSON the API defines.
	ErrMalformed = errors.New("malformed reply from the central system")
	// ErrTooLarge is a reply longer than ClientOptions.MaxResponseBytes.
	ErrTooLarge = errors.New("reply from the central system too large")
	// ErrNotFound is a 404 reply.
	ErrNotFound = errors.New("not found at the central system")
	// ErrRequest is another 4xx reply: the request itself is wrong.
	ErrRequest = errors.New("central system rejected the request")
)

// ClientOptions configure NewClient.
type ClientOptions struct {
	// BaseURL is the https URL of the central system; required.
	BaseURL string
	// CAFile verifies the server; CertFile and KeyFile are the station's
	// client certificate and key. All three are required.
	CAFile, CertFile, KeyFile string
	// Timeout bounds each request; 0 means 15 s.
	Timeout time.Duration
	// MaxResponseBytes bounds a reply body; 0 means 32 MiB, three times a
	// page of 1,000 applications with portraits.
	MaxResponseBytes int64
	// Now is the local clock that skew is measured against; nil means time.Now.
	Now func() time.Time
}

// Client calls the central sync API of docs/central-api.yaml.
type Client struct {
	base     *url.URL
	http     *http.Client
	max      int64
	certFile string
	leaf     *x509.Certificate
	now      func() time.Time
}

// Observation is the server state reported by one successful exchange.
type Observation struct {
	ServerTime time.Time
	ServerSeq  int64
	// Sent and Received are the local clock before and after the request.
	Sent, Received time.Time
}

// Skew returns the server clock minus the local clock at the midpoint of
// the exchange.
func (o Observation) Skew() time.Duration {
	mid := o.Sent.Add(o.Received.Sub(o.Sent) / 2)
	return o.ServerTime.Sub(mid)
}

// NewClient loads the certificates and builds a client.
func NewClient(o ClientOptions) (*Client, error) {
	base, err := url.Parse(strings.TrimRight(o.BaseURL, "/"))
	if err != nil || base.Scheme != "https" || base.Host == "" {
		return nil, fmt.Errorf("central URL %q is not an https URL: set central.url to https://host:port", o.BaseURL)
	}
	tlsConfig, leaf, err := clientTLS(o)
	if err != nil {
		return nil, err
	}
	if o.Timeout == 0 {
		o.Timeout = 15 * time.Second
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.MaxResponseBytes == 0 {
		o.MaxResponseBytes = 32 << 20
	}
	tr := &http.Transport{TLSClientConfig: tlsConfig, MaxIdleConnsPerHost: 4, IdleConnTimeout: 90 * time.Second,
		TLSHandshakeTimeout: o.Timeout, ResponseHeaderTimeout: o.Timeout}
	return &Client{base: base, http: &http.Client{Transport: tr, Timeout: o.Timeout}, max: o.MaxResponseBytes,
		certFile: o.CertFile, leaf: leaf, now: o.Now}, nil
}

func clientTLS(o ClientOptions) (*tls.Config, *x509.Certificate, error) {
	pair, err := tls.LoadX509KeyPair(o.CertFile, o.KeyFile)
	if err != nil {
		return nil, nil, fmt.Errorf("load station certificate %s with key %s: %w: check central.cert_file and central.key_file",
			o.CertFile, o.KeyFile, err)
	}
	caPEM, err := os.ReadFile(o.CAFile)
	if err != nil {
		return nil, nil, fmt.Errorf("read central CA file: %w: check central.ca_file", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		return nil, nil, fmt.Errorf("central CA file %s contains no PEM certificate: check central.ca_file", o.CAFile)
	}
	return &tls.Config{Certificates: []tls.Certificate{pair}, RootCAs: pool, MinVersion: tls.VersionTLS12}, pair.Leaf, nil
}

// Close releases idle connections.
func (c *Client) Close() { c.http.CloseIdleConnections() }

// StationName returns the common name of the station certificate.
func (c *Client) StationName() string { return c.leaf.Subject.CommonName }

// call sends one request and decodes a 200 reply into out.
func (c *Client) call(ctx context.Context, method, path string, query url.Values, body any, out api.Enveloped) (Observation, error) {
	req, err := c.newRequest(ctx, method, path, query, body)
	if err != nil {
		return Observation{}, err
	}
	obs := Observation{Sent: c.now()}
	resp, err := c.http.Do(req)
	if err != nil {
		return obs, c.transportError(method, path, err)
	}
	defer resp.Body.Close()
	data, err := c.readBody(resp)
	obs.Received = c.now()
	if err != nil {
		return obs, fmt.Errorf("%s %s: %w", method, path, err)
	}
	if resp.StatusCode != http.StatusOK {
		return obs, statusError(method, path, resp.StatusCode, data)
	}
	if err := json.Unmarshal(data, out); err != nil {
		return obs, fmt.Errorf("%s %s: %w: %v", method, path, ErrMalformed, err)
	}
	env := out.Env()
	if env.ServerTime.IsZero() {
		return obs, fmt.Errorf("%s %s: %w: serverTime is missing", method, path, ErrMalformed)
	}
	obs.ServerTime, obs.ServerSeq = env.ServerTime, env.ServerSeq
	return obs, nil
}

func (c *Client) newRequest(ctx context.Context, method, path string, query url.Values, body any) (*http.Request, error) {
	u := *c.base
	u.Path += path
	u.RawQuery = query.Encode()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, fmt.Errorf("encode request: %w", err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), rd)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return req, nil
}

// readBody reads at most max bytes and fails past that.
func (c *Client) readBody(resp *http.Response) ([]byte, error) {
	if resp.ContentLength > c.max {
		return nil, fmt.Errorf("%w: %d bytes announced, the limit is %d", ErrTooLarge, resp.ContentLength, c.max)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, c.max+1))
	if err != nil {
		return nil, fmt.Errorf("%w: reply cut off: %v", ErrOffline, err)
	}
	if int64(len(data)) > c.max {
		return nil, fmt.Errorf("%w: more than %d bytes", ErrTooLarge, c.max)
	}
	return data, nil
}

func statusError(method, path string, code int, data []byte) error {
	var e api.ErrorResponse
	msg := strings.TrimSpace(string(data))
	if json.Unmarshal(data, &e) == nil && e.Message != "" {
		msg = e.Message
	}
	if len(msg) > 300 {
		msg = msg[:300] + "..."
	}
	kind := ErrRequest
	switch {
	case code == http.StatusNotFound:
		kind = ErrNotFound
	case code >= 500:
		kind = ErrServer
	}
	return fmt.Errorf("%s %s: %w: HTTP %d: %s", method, path, kind, code, msg)
}

// transportError names a TLS rejection in terms an operator can act on and
// wraps everything else as ErrOffline.
func (c *Client) transportError(method, path string, err error) error {
	var opErr *net.OpError
	if errors.As(err, &opErr) && opErr.Op == "remote error" {
		return fmt.Errorf("%s %s: %w (%v): %s", method, path, ErrCertRejected, opErr.Err, c.certAdvice())
	}
	var unknownCA x509.UnknownAuthorityError
	var invalid x509.CertificateInvalidError
	var host x509.HostnameError
	var verify *tls.CertificateVerificationError
	if errors.As(err, &unknownCA) || errors.As(err, &invalid) || errors.As(err, &host) || errors.As(err, &verify) {
		return fmt.Errorf("%s %s: %w: %v: check central.ca_file and central.url", method, path, ErrServerUntrusted, err)
	}
	return fmt.Errorf("%s %s: %w: %v", method, path, ErrOffline, err)
}

func (c *Client) certAdvice() string {
	l := c.leaf
	advice := fmt.Sprintf("certificate %s (CN %q, issued by %q, valid %s to %s)", c.certFile, l.Subject.CommonName,
		l.Issuer.CommonName, l.NotBefore.Format(time.DateOnly), l.NotAfter.Format(time.DateOnly))
	if c.now().After(l.NotAfter) {
		return advice + " has expired: ask the central administrator for a new station certificate"
	}
	return advice + " is not accepted: check that it was issued by the central CA for this station"
}

// Time returns the server clock and the station id taken from the certificate.
func (c *Client) Time(ctx context.Context) (api.TimeResponse, Observation, error) {
	var out api.TimeResponse
	obs, err := c.call(ctx, http.MethodGet, "/v1/time", nil, nil, &out)
	return out, obs, err
}

// Applications returns one page of the application feed.
func (c *Client) Applications(ctx context.Context, after int64, limit int, photos bool) (api.ApplicationPage, Observation, error) {
	var out api.ApplicationPage
	q := pageQuery(after, limit)
	q.Set("photos", strconv.FormatBool(photos))
	obs, err := c.call(ctx, http.MethodGet, "/v1/applications", q, nil, &out)
	return out, obs, err
}

// Revocations returns one page of the revocation feed.
func (c *Client) Revocations(ctx context.Context, after int64, limit int) (api.RevocationPage, Observation, error) {
	var out api.RevocationPage
	obs, err := c.call(ctx, http.MethodGet, "/v1/revocations", pageQuery(after, limit), nil, &out)
	return out, obs, err
}

// HouseCodeChanges returns one page of the house-register feed.
func (c *Client) HouseCodeChanges(ctx context.Context, after int64, limit int) (api.HouseCodePage, Observation, error) {
	var out api.HouseCodePage
	obs, err := c.call(ctx, http.MethodGet, "/v1/house-code-changes", pageQuery(after, limit), nil, &out)
	return out, obs, err
}

// HouseCode looks one house code up.
func (c *Client) HouseCode(ctx context.Context, code string) (api.HouseCodeResponse, Observation, error) {
	var out api.HouseCodeResponse
	obs, err := c.call(ctx, http.MethodGet, "/v1/house-codes/"+url.PathEscape(code), nil, nil, &out)
	return out, obs, err
}

// PermitStatus queries whether a permit number is revoked or cancelled.
func (c *Client) PermitStatus(ctx context.Context, number string) (api.PermitStatusResponse, Observation, error) {
	var out api.PermitStatusResponse
	obs, err := c.call(ctx, http.MethodGet, "/v1/permits/"+url.PathEscape(number)+"/status", nil, nil, &out)
	return out, obs, err
}

// SealKeys returns the public keys the central system's issuance seals
// verify with.
func (c *Client) SealKeys(ctx context.Context) (api.SealKeyList, Observation, error) {
	var out api.SealKeyList
	obs, err := c.call(ctx, http.MethodGet, "/v1/seal-keys", nil, nil, &out)
	return out, obs, err
}

// PushRecords sends one batch and returns the per-record results.
func (c *Client) PushRecords(ctx context.Context, recs []api.Record) (api.RecordResults, Observation, error) {
	var out api.RecordResults
	obs, err := c.call(ctx, http.MethodPost, "/v1/records", nil, api.RecordBatch{Records: recs}, &out)
	return out, obs, err
}

// Photo fetches the JPEG portrait of one application.
func (c *Client) Photo(ctx context.Context, id string) ([]byte, error) {
	path := "/v1/applications/" + url.PathEscape(id) + "/photo"
	req, err := c.newRequest(ctx, http.MethodGet, path, nil, nil)
	if err != nil {
		return nil, err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, c.transportError(http.MethodGet, path, err)
	}
	defer resp.Body.Close()
	data, err := c.readBody(resp)
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", path, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, statusError(http.MethodGet, path, resp.StatusCode, data)
	}
	return data, nil
}

func pageQuery(after int64, limit int) url.Values {
	q := url.Values{}
	q.Set("after", strconv.FormatInt(after, 10))
	q.Set("limit", strconv.Itoa(limit))
	return q
}
