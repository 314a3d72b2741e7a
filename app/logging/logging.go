// Package logging builds the workstation's slog logger: JSON lines to a
// rotating file in the data directory and readable text on stderr. It also
// holds the helpers that keep ID numbers, keys and PINs out of the logs.
package logging

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"gopkg.in/natefinch/lumberjack.v2"
)

// Options configure New. The zero value logs info and above to stderr only.
type Options struct {
	// Dir receives permitdesk.log and its rotated copies; empty: no file.
	Dir string
	// Level is debug, info, warn or error; empty means info.
	Level string
	// Stderr receives the text log; nil means os.Stderr.
	Stderr io.Writer
	// MaxSizeMB rotates the file at this size; 0 means 20.
	MaxSizeMB int
	// MaxBackups is the number of rotated files kept; 0 means 10.
	MaxBackups int
}

// New returns a logger and a function that flushes and closes the file.
func New(o Options) (*slog.Logger, func() error, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(orDefault(o.Level, "info"))); err != nil {
		return nil, nil, fmt.Errorf("invalid log level %q: use debug, info, warn or error", o.Level)
	}
	stderr := o.Stderr
	if stderr == nil {
		stderr = os.Stderr
	}
	handlers := []slog.Handler{slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level})}
	closeFn := func() error { return nil }
	if o.Dir != "" {
		if err := os.MkdirAll(o.Dir, 0o750); err != nil {
			return nil, nil, fmt.Errorf("create log directory: %w", err)
		}
		lj := &lumberjack.Logger{
			Filename:   filepath.Join(o.Dir, "permitdesk.log"),
			MaxSize:    orDefaultInt(o.MaxSizeMB, 20),
			MaxBackups: orDefaultInt(o.MaxBackups, 10),
			Compress:   true,
		}
		handlers = append(handlers, slog.NewJSONHandler(lj, &slog.HandlerOptions{Level: level}))
		closeFn = lj.Close
	}
	return slog.New(fanout(handlers)), closeFn, nil
}

// Discard returns a logger that drops everything, for tests and libraries.
func Discard() *slog.Logger { return slog.New(slog.DiscardHandler) }

type fanout []slog.Handler

func (f fanout) Enabled(ctx context.Context, l slog.Level) bool {
	for _, h := range f {
		if h.Enabled(ctx, l) {
			return true
		}
	}
	return false
}

func (f fanout) Handle(ctx context.Context, r slog.Record) error {
	var errs []error
	for _, h := range f {
		if h.Enabled(ctx, r.Level) {
			errs = append(errs, h.Handle(ctx, r.Clone()))
		}
	}
	return errors.Join(errs...)
}

func (f fanout) WithAttrs(attrs []slog.Attr) slog.Handler {
	out := make(fanout, len(f))
	for i, h := range f {
		out[i] = h.WithAttrs(attrs)
	}
	return out
}

func (f fanout) WithGroup(name string) slog.Handler {
	out := make(fanout, len(f))
	for i, h := range f {
		out[i] = h.WithGroup(name)
	}
	return out
}

// MaskID shortens an identity number for logs: the first 4 and last 2
// characters stay, the rest become '*'. Values of 6 characters or fewer are
// masked whole.
func MaskID(id string) string {
	r := []rune(id)
	if len(r) <= 6 {
		return strings.Repeat("*", len(r))
	}
	return string(r[:4]) + strings.Repeat("*", len(r)-6) + string(r[len(r)-2:])
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

func orDefaultInt(n, d int) int {
	if n == 0 {
		return d
	}
	return n
}
