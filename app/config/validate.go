package config

import (
	"encoding/pem"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"permitdesk/central/api"
)

var stationIDPattern = regexp.MustCompile(`^[A-Z0-9][A-Z0-9-]{2,31}$`)

// Validate checks every field and returns one FieldError per bad field.
func (c Config) Validate() []FieldError {
	var v validator
	v.check("station_id", stationIDPattern.MatchString(c.StationID),
		"%q is not a station id: use 3 to 32 upper-case letters, digits and dashes, such as SZ-FT-001", c.StationID)
	v.dir("data_dir", c.DataDir)
	v.oneOf("log_level", c.LogLevel, "debug", "info", "warn", "error")
	v.oneOf("language", c.Language, "zh-CN", "en")
	c.Central.validate(&v)
	c.Keys.validate(&v)
	v.file("printing.font_file", c.Printing.FontFile)
	v.existingDir("printing.template_dir", c.Printing.TemplateDir)
	v.oneOf("issuance.offline_revocation_policy", c.Issuance.OfflineRevocationPolicy, "allow", "block")
	v.positive("issuance.step_timeout", c.Issuance.StepTimeout)
	v.positive("issuance.session_timeout", c.Issuance.SessionTimeout)
	c.Devices.validate(&v)
	return v.errs
}

func (c Central) validate(v *validator) {
	if c.URL != "" {
		u, err := url.Parse(c.URL)
		v.check("central.url", err == nil && u.Scheme == "https" && u.Host != "",
			"%q is not an https URL: write it as https://host:port", c.URL)
		v.check("central.cert_file", c.CertFile != "", "missing: the station's client certificate is required when central.url is set")
		v.check("central.key_file", c.KeyFile != "", "missing: the station's private key is required when central.url is set")
	}
	v.pemFile("central.ca_file", c.CAFile, "CERTIFICATE")
	v.pemFile("central.cert_file", c.CertFile, "CERTIFICATE")
	v.pemFile("central.key_file", c.KeyFile, "PRIVATE KEY")
	v.positive("central.timeout", c.Timeout)
	v.positive("central.sync_interval", c.SyncInterval)
	v.sealKey("central.seal_key_file", c.SealKeyFile)
}

// sealKey checks that a pinned seal key file contains an Ed25519 public key.
func (v *validator) sealKey(field, path string) {
	if path == "" {
		return
	}
	b, err := os.ReadFile(path)
	if err != nil {
		v.check(field, false, "%q cannot be read: %v", path, unwrapPathError(err))
		return
	}
	_, err = api.ParseSealPublicKey(b)
	v.check(field, err == nil, "%q: %v: copy seal-pub.pem from the central system", path, err)
}

func (k Keys) validate(v *validator) {
	v.oneOf("keys.source", k.Source, "psam", "file")
	if k.Source == "file" {
		v.check("keys.key_file", k.KeyFile != "", "missing: keys.source is \"file\", so name the development key file")
		v.file("keys.key_file", k.KeyFile)
	}
}

func (d Devices) validate(v *validator) {
	for name, r := range map[string]Reader{"encoder": d.Encoder, "psam": d.PSAM, "desk_reader": d.DeskReader} {
		inRange := r.MaxAPDU >= 16 && r.MaxAPDU <= 65535
		v.check("devices."+name+".max_apdu", inRange,
			"%d is out of range: use 16 to 255 for short APDUs, up to 65535 with extended length", r.MaxAPDU)
		v.check("devices."+name+".max_apdu", !inRange || r.Extended || r.MaxAPDU <= 255,
			"%d needs extended APDUs: set extended = true or use at most 255", r.MaxAPDU)
	}
	d.Printer.validate(v, "devices.printer")
	d.Rewriter.validate(v, "devices.rewriter")
	v.oneOf("devices.idreader.transport", d.IDReader.Transport, "serial", "hid")
	d.IDReader.SerialDevice.validate(v, "devices.idreader")
	d.IDReader.HID.validate(v, "devices.idreader.hid")
	d.Scanner.validate(v, "devices.scanner")
}

var standardBauds = map[int]bool{1200: true, 2400: true, 4800: true, 9600: true, 19200: true,
	38400: true, 57600: true, 115200: true, 230400: true}

func (s SerialDevice) validate(v *validator, prefix string) {
	v.check(prefix+".baud", standardBauds[s.Baud],
		"%d is not a standard rate: use 9600, 19200, 38400, 57600 or 115200", s.Baud)
	v.oneOf(prefix+".flow_control", s.FlowControl, "none", "rtscts", "xonxoff")
	v.positive(prefix+".timeout", s.Timeout)
	if s.Port != "" {
		v.check(prefix+".port", filepath.IsAbs(s.Port), "%q is not an absolute path: write it as /dev/ttyUSB0", s.Port)
	}
}

func (h HIDDevice) validate(v *validator, prefix string) {
	for _, f := range []struct{ name, val string }{{"vendor_id", h.VendorID}, {"product_id", h.ProductID}} {
		if f.val == "" {
			continue
		}
		_, err := strconv.ParseUint(f.val, 16, 16)
		v.check(prefix+"."+f.name, err == nil, "%q is not a 16-bit hexadecimal id: write it as 0483", f.val)
	}
	v.check(prefix+".product_id", h.VendorID == "" || h.ProductID != "",
		"missing: a vendor_id needs its product_id")
}

type validator struct{ errs []FieldError }

func (v *validator) check(field string, ok bool, format string, args ...any) {
	if !ok {
		v.errs = append(v.errs, FieldError{Field: field, Reason: fmt.Sprintf(format, args...)})
	}
}

func (v *validator) oneOf(field, val string, allowed ...string) {
	for _, a := range allowed {
		if val == a {
			return
		}
	}
	v.check(field, false, "%q is not one of %q", val, allowed)
}

func (v *validator) positive(field string, d Duration) {
	v.check(field, d.Duration > 0 && d.Duration < 24*time.Hour,
		"%s is out of range: use a positive duration under 24h, such as 15s", d.Duration)
}

func (v *validator) dir(field, path string) {
	if path == "" {
		v.check(field, false, "missing: name a directory the workstation may write to")
		return
	}
	st, err := os.Stat(path)
	if err == nil {
		v.check(field, st.IsDir(), "%q is a file, not a directory", path)
		return
	}
	parent := filepath.Dir(path)
	_, perr := os.Stat(parent)
	v.check(field, perr == nil || os.IsNotExist(perr), "%q cannot be created: %v", path, perr)
}

func (v *validator) existingDir(field, path string) {
	if path == "" {
		return
	}
	st, err := os.Stat(path)
	v.check(field, err == nil && st.IsDir(), "%q is not an existing directory", path)
}

func (v *validator) file(field, path string) {
	if path == "" {
		return
	}
	st, err := os.Stat(path)
	if err != nil {
		v.check(field, false, "%q cannot be read: %v", path, unwrapPathError(err))
		return
	}
	v.check(field, st.Mode().IsRegular(), "%q is not a regular file", path)
}

// pemFile checks that a readable file holds a PEM block whose type ends in
// kind, such as CERTIFICATE or PRIVATE KEY.
func (v *validator) pemFile(field, path, kind string) {
	if path == "" {
		return
	}
	before := len(v.errs)
	v.file(field, path)
	if len(v.errs) > before {
		return
	}
	b, err := os.ReadFile(path)
	if err != nil {
		v.check(field, false, "%q cannot be read: %v", path, unwrapPathError(err))
		return
	}
	block, _ := pem.Decode(b)
	v.check(field, block != nil && strings.HasSuffix(block.Type, kind),
		"%q holds no PEM %s: name the PEM file that `permitdesk central pki init` wrote, "+
			"or the one the central system issued", path, kind)
}

func unwrapPathError(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}
