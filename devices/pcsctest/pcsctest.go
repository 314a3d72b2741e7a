// Package pcsctest gives tests a running pcscd with the vsmartcard vpcd
// readers, shared by every test package on the machine.
//
// Start ensures pcscd is up: when no PC/SC service responds it runs `pcscd`,
// which daemonises and keeps running after the test, so later test
// processes reuse it (only one pcscd can run per machine). It never stops
// a pcscd. Lock serialises tests that drive the same vpcd reader across
// packages, because vpcd serves one card connection per reader: go test
// runs packages in parallel processes. The `permitdesk sim card`, `sim psam`
// and `sim stack` commands hold the same locks while they run, so tests wait
// for them (up to LockTimeout) instead of fighting over a reader.
//
// Readers (Debian vsmartcard-vpcd 0.8, /etc/reader.conf.d/vpcd):
// "Virtual PCD 00 00" on 127.0.0.1:35963 is the encoder, and
// "Virtual PCD 00 01" on 35964 the PSAM. A third reader is not possible:
// ifd-vpcd indexes its connections by slot number only, so a second
// reader.conf.d entry (tried with port 35965) shares slot 0's connection
// with "Virtual PCD 00 00". The technician's desk reader therefore uses the
// encoder reader in development.
package pcsctest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"permitdesk/devices/pcsc"
)

// Reader names and vpcd addresses.
const (
	EncoderReader = "Virtual PCD 00 00"
	PSAMReader    = "Virtual PCD 00 01"
	EncoderAddr   = "127.0.0.1:35963"
	PSAMAddr      = "127.0.0.1:35964"
)

// Start ensures pcscd runs with both vpcd readers listed, starting it if no
// service responds. It skips the test when pcscd is not installed.
func Start(t testing.TB) {
	t.Helper()
	if err := Ensure(context.Background(), time.Minute); err != nil {
		if errors.Is(err, exec.ErrNotFound) {
			t.Skip("pcscd is not installed: run scripts/setup")
		}
		t.Fatal(err)
	}
}

// Ensure is Start for commands and benchmarks: it starts pcscd when needed
// and waits up to timeout for the vpcd readers.
func Ensure(ctx context.Context, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if readersListed(ctx) {
		return nil
	}
	// Two processes starting pcscd at once both succeed and leave a stale
	// daemon behind, so starting is serialised and re-checked.
	unlock, err := lockFile(filepath.Join(os.TempDir(), "permitdesk-pcscd-start.lock"), timeout,
		"another process is starting pcscd")
	if err != nil {
		return err
	}
	defer unlock()
	var startErr error
	if !readersListed(ctx) {
		// A pcscd that another program is starting or stopping at this
		// moment can make this start fail, so keep waiting for the readers
		// and report the failure only if they never appear.
		startErr = startDaemon()
		if errors.Is(startErr, exec.ErrNotFound) {
			return startErr
		}
	}
	for !readersListed(ctx) {
		select {
		case <-ctx.Done():
			if startErr != nil {
				return fmt.Errorf("readers %q and %q did not appear within %s: %w",
					EncoderReader, PSAMReader, timeout, startErr)
			}
			return fmt.Errorf("pcscd started but readers %q and %q did not appear within %s: "+
				"check that vsmartcard-vpcd is installed", EncoderReader, PSAMReader, timeout)
		case <-time.After(100 * time.Millisecond):
		}
	}
	return nil
}

func readersListed(ctx context.Context) bool {
	names, err := pcsc.ListReaders(ctx)
	return err == nil && slices.Contains(names, EncoderReader) && slices.Contains(names, PSAMReader)
}

// startDaemon runs pcscd. A pcscd that finds another one running exits
// with "already running", which is not an error here.
func startDaemon() error {
	path, err := exec.LookPath("pcscd")
	if err != nil {
		return fmt.Errorf("pcscd: %w", err)
	}
	out, err := exec.Command(path).CombinedOutput()
	if err != nil && !strings.Contains(string(out), "already running") {
		return fmt.Errorf("start pcscd: %w: %s", err, out)
	}
	return nil
}

// LockTimeout bounds how long Lock waits for another process to release a
// reader.
const LockTimeout = 3 * time.Minute

// Lock holds an exclusive lock on the vpcd reader at addr until the test
// ends, waiting up to LockTimeout for other test processes that hold it.
func Lock(t testing.TB, addr string) {
	t.Helper()
	unlock, err := LockAddr(addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(unlock)
}

// LockAddr is Lock for benchmarks and commands; call the returned function
// to unlock.
func LockAddr(addr string) (func(), error) {
	return LockAddrWait(addr, LockTimeout)
}

// LockAddrWait is LockAddr with its own wait instead of LockTimeout.
func LockAddrWait(addr string, timeout time.Duration) (func(), error) {
	name := "permitdesk-vpcd-" + strings.NewReplacer(":", "-", ".", "-").Replace(addr) + ".lock"
	return lockFile(filepath.Join(os.TempDir(), name), timeout,
		fmt.Sprintf("vpcd reader %s is held by another process; stop any running "+
			"`permitdesk sim ...` emulator that uses it, or wait for other tests", addr))
}

// lockFile takes an exclusive flock on path, polling until timeout.
func lockFile(path string, timeout time.Duration, busy string) (func(), error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o666)
	if err != nil {
		return nil, fmt.Errorf("open lock %s: %w", path, err)
	}
	deadline := time.Now().Add(timeout)
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			break
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		if time.Now().After(deadline) {
			f.Close()
			return nil, fmt.Errorf("%s (waited %s for %s)", busy, timeout, path)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return func() {
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}
