// Package pki creates the development certificate authority of the reference
// central system and the certificates it signs: one server certificate and
// one client certificate per station (X.509 v3, ECDSA P-256, PEM files), and
// the Ed25519 key that signs issuance seals (seal.go).
//
// A station certificate's subject common name is the station id and its
// organizational unit is "station"; the administrator's certificate has the
// unit "admin". The server trusts only the CA in the same directory.
//
// Limits: it is a development CA. The CA key is written unencrypted next to
// the certificates, and so is the seal key; there is no revocation list and
// no OCSP.
package pki

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// Certificate roles, stored in the subject's organizational unit.
const (
	RoleStation = "station"
	RoleAdmin   = "admin"
	RoleServer  = "server"
)

// File names inside a PKI directory.
const (
	CAFile      = "ca.pem"
	CAKeyFile   = "ca-key.pem"
	ServerFile  = "server.pem"
	ServerKey   = "server-key.pem"
	AdminName   = "admin"
	stationPart = "station-"
)

// ErrExists means the directory already holds a CA and Force was not set.
var ErrExists = errors.New("a CA already exists")

// InitOptions configure Init.
type InitOptions struct {
	// Dir receives the PEM files; it is created with mode 0700.
	Dir string
	// Stations get one client certificate each; nil means ["DEV-0001"].
	Stations []string
	// Hosts are the server certificate's names and IP addresses; nil means
	// 127.0.0.1, ::1 and localhost.
	Hosts []string
	// Validity of the issued certificates; 0 means 825 days. The CA gets ten years.
	Validity time.Duration
	// Force replaces an existing CA and every certificate.
	Force bool
	// Now is the issuing time; nil means time.Now.
	Now func() time.Time
}

// CA is a loaded certificate authority that can sign certificates.
type CA struct {
	Cert *x509.Certificate
	Key  *ecdsa.PrivateKey
	Dir  string
}

// Init creates the CA, the server certificate, the admin certificate and the
// station certificates in o.Dir, and the issuance-seal key pair, and returns
// the CA.
func Init(o InitOptions) (*CA, error) {
	o = o.withDefaults()
	if _, err := os.Stat(filepath.Join(o.Dir, CAFile)); err == nil && !o.Force {
		return nil, fmt.Errorf("%w in %s: pass --force to replace it and every certificate it signed", ErrExists, o.Dir)
	}
	if err := os.MkdirAll(o.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("create PKI directory: %w", err)
	}
	ca, err := newCA(o.Dir, o.Now())
	if err != nil {
		return nil, err
	}
	if err := ca.IssueServer(o.Hosts, o.Now(), o.Validity); err != nil {
		return nil, err
	}
	if _, _, err := ca.IssueClient(AdminName, RoleAdmin, o.Now(), o.Validity); err != nil {
		return nil, err
	}
	for _, st := range o.Stations {
		if _, _, err := ca.IssueClient(st, RoleStation, o.Now(), o.Validity); err != nil {
			return nil, err
		}
	}
	if _, err := CreateSealKey(o.Dir); err != nil {
		return nil, err
	}
	return ca, nil
}

func (o InitOptions) withDefaults() InitOptions {
	if o.Stations == nil {
		o.Stations = []string{"DEV-0001"}
	}
	if o.Hosts == nil {
		o.Hosts = []string{"127.0.0.1", "::1", "localhost"}
	}
	if o.Validity == 0 {
		o.Validity = 825 * 24 * time.Hour
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

func newCA(dir string, now time.Time) (*CA, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	sn := serial()
	// The serial in the name distinguishes CAs in error messages.
	name := fmt.Sprintf("permitdesk development central CA %x", sn.Bytes()[:4])
	tmpl := &x509.Certificate{
		SerialNumber:          sn,
		Subject:               pkix.Name{CommonName: name, Organization: []string{"permitdesk"}},
		NotBefore:             now.Add(-7 * 24 * time.Hour),
		NotAfter:              now.AddDate(10, 0, 0),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, fmt.Errorf("create CA certificate: %w", err)
	}
	cert, _ := x509.ParseCertificate(der)
	ca := &CA{Cert: cert, Key: key, Dir: dir}
	return ca, writePair(filepath.Join(dir, CAFile), filepath.Join(dir, CAKeyFile), der, key)
}

// LoadCA reads the CA certificate and key from dir.
func LoadCA(dir string) (*CA, error) {
	pair, err := tls.LoadX509KeyPair(filepath.Join(dir, CAFile), filepath.Join(dir, CAKeyFile))
	if err != nil {
		return nil, fmt.Errorf("load CA from %s: %w (run `permitdesk central pki init --dir %s`)", dir, err, dir)
	}
	key, ok := pair.PrivateKey.(*ecdsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("CA key in %s is not an ECDSA key", dir)
	}
	return &CA{Cert: pair.Leaf, Key: key, Dir: dir}, nil
}

// IssueServer writes server.pem and server-key.pem for the given host names
// and IP addresses.
func (ca *CA) IssueServer(hosts []string, now time.Time, validity time.Duration) error {
	tmpl := leafTemplate("permitdesk central", RoleServer, now, validity)
	tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	_, _, err := ca.sign(tmpl, ServerFile, ServerKey)
	return err
}

// IssueClient writes NAME.pem and NAME-key.pem (station-ID.pem for
// stations) and returns their paths. The certificate is valid from a week
// before now until now plus validity. A negative validity gives an expired
// certificate, which tests use.
func (ca *CA) IssueClient(name, role string, now time.Time, validity time.Duration) (certPath, keyPath string, err error) {
	tmpl := leafTemplate(name, role, now, validity)
	tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	base := name
	if role == RoleStation {
		base = stationPart + name
	}
	return ca.sign(tmpl, base+".pem", base+"-key.pem")
}

// StationFiles returns the certificate and key paths of a station in dir.
func StationFiles(dir, station string) (certPath, keyPath string) {
	return filepath.Join(dir, stationPart+station+".pem"), filepath.Join(dir, stationPart+station+"-key.pem")
}

// AdminFiles returns the administrator's certificate and key paths in dir.
func AdminFiles(dir string) (certPath, keyPath string) {
	return filepath.Join(dir, AdminName+".pem"), filepath.Join(dir, AdminName+"-key.pem")
}

func leafTemplate(cn, role string, now time.Time, validity time.Duration) *x509.Certificate {
	// A week of slack lets a workstation whose clock runs behind accept a
	// certificate issued just now.
	notBefore, notAfter := now.Add(-7*24*time.Hour), now.Add(validity)
	if validity < 0 {
		notBefore = now.Add(2*validity - 7*24*time.Hour)
	}
	return &x509.Certificate{
		SerialNumber: serial(),
		Subject: pkix.Name{CommonName: cn, OrganizationalUnit: []string{role},
			Organization: []string{"permitdesk"}},
		NotBefore: notBefore,
		NotAfter:  notAfter,
		KeyUsage:  x509.KeyUsageDigitalSignature,
	}
}

func (ca *CA) sign(tmpl *x509.Certificate, certName, keyName string) (string, string, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return "", "", err
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Cert, &key.PublicKey, ca.Key)
	if err != nil {
		return "", "", fmt.Errorf("sign certificate for %q: %w", tmpl.Subject.CommonName, err)
	}
	certPath, keyPath := filepath.Join(ca.Dir, certName), filepath.Join(ca.Dir, keyName)
	return certPath, keyPath, writePair(certPath, keyPath, der, key)
}

func writePair(certPath, keyPath string, der []byte, key *ecdsa.PrivateKey) error {
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return err
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER})
	if err := os.WriteFile(certPath, certPEM, 0o644); err != nil {
		return fmt.Errorf("write certificate: %w", err)
	}
	if err := os.WriteFile(keyPath, keyPEM, 0o600); err != nil {
		return fmt.Errorf("write key: %w", err)
	}
	return nil
}

func serial() *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 126))
	if err != nil {
		panic(fmt.Sprintf("pki: read random serial: %v", err))
	}
	return n
}

// ServerTLS returns the server's TLS configuration: the server certificate
// from dir, TLS 1.2 or newer, and a required client certificate signed by
// the CA in dir.
func ServerTLS(dir string) (*tls.Config, error) {
	pair, err := tls.LoadX509KeyPair(filepath.Join(dir, ServerFile), filepath.Join(dir, ServerKey))
	if err != nil {
		return nil, fmt.Errorf("load server certificate from %s: %w (run `permitdesk central pki init --dir %s`)", dir, err, dir)
	}
	pool, err := LoadPool(filepath.Join(dir, CAFile))
	if err != nil {
		return nil, err
	}
	return &tls.Config{
		Certificates: []tls.Certificate{pair},
		ClientCAs:    pool,
		ClientAuth:   tls.RequireAndVerifyClientCert,
		MinVersion:   tls.VersionTLS12,
	}, nil
}

// LoadPool reads PEM certificates from path into a new pool.
func LoadPool(path string) (*x509.CertPool, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read CA file: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(b) {
		return nil, fmt.Errorf("CA file %s contains no PEM certificate", path)
	}
	return pool, nil
}

// ClientTLS returns a client TLS configuration that presents the pair in
// certPath and keyPath and trusts the CA in caPath.
func ClientTLS(caPath, certPath, keyPath string) (*tls.Config, error) {
	pair, err := tls.LoadX509KeyPair(certPath, keyPath)
	if err != nil {
		return nil, fmt.Errorf("load client certificate %s: %w", certPath, err)
	}
	pool, err := LoadPool(caPath)
	if err != nil {
		return nil, err
	}
	return &tls.Config{Certificates: []tls.Certificate{pair}, RootCAs: pool, MinVersion: tls.VersionTLS12}, nil
}

// Role returns the role (organizational unit) and name (common name) of a
// verified peer certificate.
func Role(cert *x509.Certificate) (role, name string) {
	if len(cert.Subject.OrganizationalUnit) > 0 {
		role = cert.Subject.OrganizationalUnit[0]
	}
	return role, cert.Subject.CommonName
}
