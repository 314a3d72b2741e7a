// Package config loads, validates and documents the workstation's TOML
// configuration. Every field has a default, so an empty file is valid for a
// workstation that only runs the emulators; Example prints each field with its
// default and meaning.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/pelletier/go-toml/v2"
)

// Config is the whole workstation configuration.
type Config struct {
	// StationID identifies this workstation to the central system.
	StationID string `toml:"station_id"`
	// DataDir holds the database, logs, card-face output and backups.
	DataDir string `toml:"data_dir"`
	// LogLevel is debug, info, warn or error.
	LogLevel string `toml:"log_level"`
	// Language is the UI language: zh-CN or en.
	Language string `toml:"language"`

	Central  Central  `toml:"central"`
	Keys     Keys     `toml:"keys"`
	Printing Printing `toml:"printing"`
	Issuance Issuance `toml:"issuance"`
	Devices  Devices  `toml:"devices"`
}

// Central is the link to the central permit system.
type Central struct {
	// URL is the base URL of the sync API; empty means offline only.
	URL string `toml:"url"`
	// CAFile verifies the server; CertFile and KeyFile identify the station.
	CAFile   string `toml:"ca_file"`
	CertFile string `toml:"cert_file"`
	KeyFile  string `toml:"key_file"`
	// Timeout bounds each request.
	Timeout Duration `toml:"timeout"`
	// SyncInterval is the time between pulls when the link is up.
	SyncInterval Duration `toml:"sync_interval"`
	// SealKeyFile pins the central system's issuance-seal public key (a PEM
	// PUBLIC KEY block or 64 hex digits); only seals by this key are
	// trusted. Empty (the default) trusts the keys fetched from the central
	// system and cached in the station database.
	SealKeyFile string `toml:"seal_key_file"`
}

// Keys selects where card keys come from.
type Keys struct {
	// Source is "psam" (production: a key card in a PC/SC reader) or "file"
	// (development: a master key in a file).
	Source string `toml:"source"`
	// KeyFile is the development master-key file, used when Source is "file".
	KeyFile string `toml:"key_file"`
}

// Printing configures card-face rendering.
type Printing struct {
	// FontFile is a TrueType or OpenType font with CJK glyphs; empty means the
	// first of the usual Debian font paths that exists.
	FontFile string `toml:"font_file"`
	// TemplateDir holds the card templates; empty means the built-in ones.
	TemplateDir string `toml:"template_dir"`
	// OutputDir receives rendered faces for the record; empty means DataDir/faces.
	OutputDir string `toml:"output_dir"`
}

// Issuance sets workflow policies.
type Issuance struct {
	// OfflineRevocationPolicy decides what happens when the revocation check
	// cannot reach the central system: "allow" (issue and record it) or "block".
	OfflineRevocationPolicy string `toml:"offline_revocation_policy"`
	// StepTimeout bounds each device step of a job.
	StepTimeout Duration `toml:"step_timeout"`
	// SessionTimeout logs an idle operator out.
	SessionTimeout Duration `toml:"session_timeout"`
}

// Devices lists every device the workstation drives.
type Devices struct {
	Encoder    Reader       `toml:"encoder"`
	PSAM       Reader       `toml:"psam"`
	DeskReader Reader       `toml:"desk_reader"`
	Printer    SerialDevice `toml:"printer"`
	Rewriter   SerialDevice `toml:"rewriter"`
	IDReader   IDReader     `toml:"idreader"`
	Scanner    HIDDevice    `toml:"scanner"`
}

// Reader is a PC/SC reader chosen by name.
type Reader struct {
	// Name is a substring of the PC/SC reader name; empty disables the device.
	Name string `toml:"name"`
	// MaxAPDU is the largest data field sent or read in one short APDU.
	MaxAPDU int `toml:"max_apdu"`
	// Extended allows extended-length APDUs when the reader supports them.
	Extended bool `toml:"extended"`
}

// SerialDevice is a device on an RS-232 port.
type SerialDevice struct {
	// Port is the device path (/dev/ttyUSB0, or a pseudo-terminal link).
	Port string `toml:"port"`
	// USBSerial picks the port by the USB adapter's serial number instead.
	USBSerial string `toml:"usb_serial"`
	// Baud is the line speed in bits per second.
	Baud int `toml:"baud"`
	// FlowControl is "none", "rtscts" or "xonxoff".
	FlowControl string `toml:"flow_control"`
	// Timeout is how long to wait for a reply.
	Timeout Duration `toml:"timeout"`
	// AckNack turns on the printer's ACK/NACK protocol (printer only).
	AckNack bool `toml:"ack_nack"`
}

// HIDDevice is a USB HID device chosen by vendor, product and serial number.
type HIDDevice struct {
	// VendorID and ProductID as hexadecimal strings such as "0400"; empty
	// VendorID disables the device.
	VendorID  string `toml:"vendor_id"`
	ProductID string `toml:"product_id"`
	// Serial is the USB serial number, to tell identical devices apart.
	Serial string `toml:"serial"`
}

// IDReader is the national ID card reader on HID or serial.
type IDReader struct {
	// Transport is "serial" or "hid".
	Transport string `toml:"transport"`
	SerialDevice
	HID HIDDevice `toml:"hid"`
}

// Duration is a time.Duration written in TOML as a string such as "15s".
type Duration struct{ time.Duration }

// UnmarshalText parses a Go duration string.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return fmt.Errorf("invalid duration %q: write it as 500ms, 15s or 2m", string(b))
	}
	d.Duration = v
	return nil
}

// MarshalText formats the duration as a Go duration string.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// DefaultPath returns the configuration file used when --config is not given.
func DefaultPath() string {
	dir, err := os.UserConfigDir()
	if err != nil {
		dir = "."
	}
	return filepath.Join(dir, "permitdesk", "permitdesk.toml")
}

// DefaultDataDir returns the data directory used when data_dir is empty.
func DefaultDataDir() string {
	dir, err := os.UserHomeDir()
	if err != nil {
		return "permitdesk-data"
	}
	return filepath.Join(dir, ".local", "share", "permitdesk")
}

// Default returns the configuration with every default filled in.
func Default() Config {
	return Config{
		StationID: "DEV-0001",
		DataDir:   DefaultDataDir(),
		LogLevel:  "info",
		Language:  "zh-CN",
		Central: Central{
			Timeout:      Duration{15 * time.Second},
			SyncInterval: Duration{30 * time.Second},
		},
		Keys: Keys{Source: "psam"},
		Issuance: Issuance{
			OfflineRevocationPolicy: "allow",
			StepTimeout:             Duration{60 * time.Second},
			SessionTimeout:          Duration{15 * time.Minute},
		},
		Devices: Devices{
			Encoder:    Reader{MaxAPDU: 239},
			PSAM:       Reader{MaxAPDU: 239},
			DeskReader: Reader{MaxAPDU: 239},
			Printer:    SerialDevice{Baud: 115200, FlowControl: "none", Timeout: Duration{5 * time.Second}},
			Rewriter:   SerialDevice{Baud: 38400, FlowControl: "none", Timeout: Duration{5 * time.Second}},
			IDReader: IDReader{Transport: "serial", SerialDevice: SerialDevice{
				Baud: 115200, FlowControl: "none", Timeout: Duration{3 * time.Second}}},
		},
	}
}

// ErrInvalid is wrapped by every validation failure.
var ErrInvalid = errors.New("invalid configuration")

// FieldError names one bad field and why it is bad.
type FieldError struct {
	Field  string // dotted TOML key, such as devices.printer.baud
	Line   int    // 1-based line in the file, 0 when unknown
	Reason string
}

func (e FieldError) String() string {
	if e.Line > 0 {
		return fmt.Sprintf("line %d: %s: %s", e.Line, e.Field, e.Reason)
	}
	return e.Field + ": " + e.Reason
}

// Errors is the list of every bad field found in one file.
type Errors struct {
	Path   string
	Fields []FieldError
}

func (e *Errors) Error() string {
	lines := make([]string, 0, len(e.Fields))
	for _, f := range e.Fields {
		lines = append(lines, "  "+f.String())
	}
	return fmt.Sprintf("%s: %d invalid field(s):\n%s", e.Path, len(e.Fields), strings.Join(lines, "\n"))
}

// Unwrap makes errors.Is(err, ErrInvalid) hold.
func (e *Errors) Unwrap() error { return ErrInvalid }

// Load reads the file at path over the defaults and validates the result. A
// missing file at the default path yields the defaults; a missing file that
// was named explicitly is an error.
func Load(path string, explicit bool) (Config, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) && !explicit {
		return Default(), nil
	}
	if errors.Is(err, os.ErrNotExist) {
		return Config{}, fmt.Errorf("read config: %w: write one with `permitdesk config example > %s`", err, path)
	}
	if err != nil {
		return Config{}, fmt.Errorf("read config: %w", err)
	}
	return Parse(path, b)
}

// Parse decodes TOML over the defaults, rejects unknown keys, and validates.
func Parse(path string, b []byte) (Config, error) {
	// Editors on Windows save UTF-8 with a byte order mark, which TOML
	// does not allow; it carries no meaning, so drop it.
	b = bytes.TrimPrefix(b, []byte("\xEF\xBB\xBF"))
	cfg, errs := decodeAll(b)
	if len(errs) > 0 && errs[0].Field == "(syntax)" {
		return Config{}, &Errors{Path: path, Fields: errs}
	}
	errs = appendUnreported(errs, cfg.Validate())
	for i := range errs {
		if errs[i].Line == 0 {
			errs[i].Line = lineOf(b, errs[i].Field)
		}
	}
	if len(errs) > 0 {
		return Config{}, &Errors{Path: path, Fields: errs}
	}
	return cfg, nil
}

// maxDecodeRounds bounds the decode, drop, decode again loop of decodeAll.
const maxDecodeRounds = 64

// decodeAll decodes b over the defaults and reports every key that does not
// decode, not only the first: go-toml stops at the first bad key, so each
// round drops the keys it named and decodes the rest again. The returned
// Config holds every key that decoded, for Validate to check.
func decodeAll(b []byte) (Config, []FieldError) {
	cfg := Default()
	err := decodeStrict(b, &cfg)
	if err == nil {
		return cfg, nil
	}
	errs := decodeErrors(err, b)
	var tree map[string]any
	if toml.Unmarshal(b, &tree) != nil {
		return Default(), errs
	}
	for round := 0; round < maxDecodeRounds; round++ {
		dropped := 0
		for _, fe := range errs {
			if drop(tree, strings.Split(fe.Field, ".")) {
				dropped++
			}
		}
		doc, merr := toml.Marshal(tree)
		if dropped == 0 || merr != nil {
			break
		}
		cfg = Default()
		if err = decodeStrict(doc, &cfg); err == nil {
			return cfg, errs
		}
		more := decodeErrors(err, doc)
		for i := range more {
			more[i].Line = lineOf(b, more[i].Field)
		}
		errs = appendUnreported(errs, more)
	}
	return Default(), errs
}

func decodeStrict(b []byte, cfg *Config) error {
	return toml.NewDecoder(bytes.NewReader(b)).DisallowUnknownFields().Decode(cfg)
}

// drop deletes the key at path from tree and reports whether it was there.
func drop(tree map[string]any, path []string) bool {
	v, ok := tree[path[0]]
	if !ok {
		return false
	}
	if len(path) == 1 {
		delete(tree, path[0])
		return true
	}
	sub, isTable := v.(map[string]any)
	return isTable && drop(sub, path[1:])
}

// appendUnreported appends the errors of more whose field errs does not
// name yet.
func appendUnreported(errs, more []FieldError) []FieldError {
	for _, fe := range more {
		if !slices.ContainsFunc(errs, func(e FieldError) bool { return e.Field == fe.Field }) {
			errs = append(errs, fe)
		}
	}
	return errs
}

var tableHeader = regexp.MustCompile(`^\s*\[\s*([A-Za-z0-9_.\- ]+?)\s*\]\s*(#.*)?$`)

// lineOf returns the 1-based line of the dotted key in doc, or 0 when the
// key is not written as "key = value" under its table header.
func lineOf(doc []byte, dotted string) int {
	table := ""
	for i, line := range strings.Split(string(doc), "\n") {
		if m := tableHeader.FindStringSubmatch(line); m != nil {
			table = strings.ReplaceAll(m[1], " ", "")
			continue
		}
		key, _, found := strings.Cut(line, "=")
		if !found {
			continue
		}
		full := strings.TrimSpace(key)
		if table != "" {
			full = table + "." + full
		}
		if full == dotted {
			return i + 1
		}
	}
	return 0
}

func decodeErrors(err error, doc []byte) []FieldError {
	var strict *toml.StrictMissingError
	if errors.As(err, &strict) {
		out := make([]FieldError, 0, len(strict.Errors))
		for _, de := range strict.Errors {
			row, _ := de.Position()
			out = append(out, FieldError{Field: strings.Join(de.Key(), "."), Line: row,
				Reason: "unknown key: remove it or check its spelling against `permitdesk config example`"})
		}
		return out
	}
	var de *toml.DecodeError
	if errors.As(err, &de) {
		row, _ := de.Position()
		field := strings.Join(de.Key(), ".")
		if field == "" {
			field = "(syntax)"
		}
		return []FieldError{{Field: field, Line: row, Reason: typeMismatch(de.Error())}}
	}
	if fe := badDurations(doc); len(fe) > 0 {
		return fe
	}
	return []FieldError{{Field: "(file)", Reason: err.Error()}}
}

var mismatch = regexp.MustCompile(`cannot decode TOML (\w+) into struct field \S+ of type (\S+)`)

// goTypeNames says in a user's words what each field type expects.
var goTypeNames = map[string]string{
	"string":          `text in double quotes, such as "SZ-FT-001"`,
	"int":             "a whole number without quotes, such as 115200",
	"bool":            "true or false without quotes",
	"config.Duration": `a duration in double quotes, such as "15s"`,
}

// typeMismatch rewords go-toml's type errors, which name Go struct fields,
// into what the file should hold.
func typeMismatch(msg string) string {
	m := mismatch.FindStringSubmatch(msg)
	if m == nil {
		return msg
	}
	want, ok := goTypeNames[m[2]]
	if !ok {
		want = "a " + m[2]
	}
	return fmt.Sprintf("the value is a TOML %s; write %s", m[1], want)
}

// durationFields are the dotted keys that hold a Duration.
var durationFields = []string{
	"central.timeout", "central.sync_interval", "issuance.step_timeout", "issuance.session_timeout",
	"devices.printer.timeout", "devices.rewriter.timeout", "devices.idreader.timeout",
}

// badDurations names the duration fields whose value is not a duration
// string, because go-toml reports a failed UnmarshalText without its key.
func badDurations(doc []byte) []FieldError {
	var tree map[string]any
	if toml.Unmarshal(doc, &tree) != nil {
		return nil
	}
	var out []FieldError
	for _, key := range durationFields {
		v, ok := lookup(tree, strings.Split(key, "."))
		if !ok {
			continue
		}
		str, isString := v.(string)
		if !isString {
			out = append(out, FieldError{Field: key,
				Reason: fmt.Sprintf("%v is not a duration: write it in double quotes with a unit, such as \"15s\"", v)})
			continue
		}
		if _, err := time.ParseDuration(str); err != nil {
			out = append(out, FieldError{Field: key,
				Reason: fmt.Sprintf("%q is not a duration: write it as 500ms, 15s or 2m", str)})
		}
	}
	return out
}

func lookup(tree map[string]any, path []string) (any, bool) {
	v, ok := tree[path[0]]
	if !ok || len(path) == 1 {
		return v, ok
	}
	sub, isTable := v.(map[string]any)
	if !isTable {
		return nil, false
	}
	return lookup(sub, path[1:])
}

// WriteExample writes the commented example configuration.
func WriteExample(w io.Writer) error {
	_, err := io.WriteString(w, exampleTOML)
	return err
}
