package diag

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"go.bug.st/serial"
	"golang.org/x/sys/unix"

	"permitdesk/app/config"
	"permitdesk/devices"
	"permitdesk/devices/serialport"
)

// portProblem is the reason a serial port cannot be used, with the fix and
// the variant of the port check's code.
type portProblem struct {
	variant, reason, fix string
}

// probePort checks that the configured port exists, can be opened, and is
// not held in exclusive mode by another program. It runs before the driver
// opens the port, because the root user bypasses TIOCEXCL and would
// otherwise share the line with the other program unnoticed.
//
// A lent port is held by this process's own driver, so only its existence
// is checked.
func probePort(field string, c config.SerialDevice, lent bool) (string, *portProblem) {
	path, err := serialport.Resolve(serialport.Options{Path: c.Port, USBSerial: c.USBSerial})
	if errors.Is(err, devices.ErrNotConfigured) {
		return "", &portProblem{variant: "no_port", reason: "no serial port configured", fix: "set " + field + ".port or " +
			field + ".usb_serial"}
	}
	if err != nil {
		return "", &portProblem{variant: "usb_not_found", reason: err.Error(), fix: "plug the USB serial adapter in, or correct " +
			field + ".usb_serial"}
	}

	if _, err := os.Stat(path); err != nil {
		return path, &portProblem{variant: "missing", reason: fmt.Sprintf("serial port %s does not exist", path),
			fix: fmt.Sprintf("check the cable and the USB serial adapter, or set %s.port to the "+
				"device's port (ls /dev/serial/by-id/)", field)}
	}
	if lent {
		return path, nil
	}

	if pid, ok := uucpLockHolder(path); ok {
		p := heldProblem(path)
		p.reason += fmt.Sprintf(" (lock file names pid %d)", pid)
		return path, p
	}
	fd, err := unix.Open(path, unix.O_RDWR|unix.O_NOCTTY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return path, openProblem(path, err)
	}
	defer unix.Close(fd)
	excl, err := unix.IoctlGetInt(fd, unix.TIOCGEXCL)
	if err == nil && excl != 0 {
		return path, exclusiveProblem(path)
	}
	return path, nil
}

// openProblem explains an open failure of path.
func openProblem(path string, err error) *portProblem {
	var pe *serial.PortError
	switch {
	case errors.Is(err, unix.EBUSY), errors.As(err, &pe) && pe.Code() == serial.PortBusy:
		return exclusiveProblem(path)
	case errors.Is(err, unix.EACCES), errors.As(err, &pe) && pe.Code() == serial.PermissionDenied:
		return &portProblem{variant: "no_permission", reason: fmt.Sprintf("no permission to open %s", path),
			fix: "add the workstation user to the dialout group (`usermod -aG dialout USER`) and log in again"}
	case errors.Is(err, unix.ENOENT), errors.Is(err, unix.ENXIO), errors.Is(err, unix.ENODEV):
		return &portProblem{variant: "gone", reason: fmt.Sprintf("serial port %s is gone: %v", path, err),
			fix: "check the cable and the USB serial adapter"}
	}
	return &portProblem{variant: "open_failed", reason: fmt.Sprintf("opening %s failed: %v", path, err),
		fix: "check the cable and the USB serial adapter"}
}

// exclusiveProblem explains a port in exclusive mode. A process that has
// both the port and the master side of its pseudo-terminal open is a device
// emulator keeping the line up. When it is the only other holder, the flag
// was left by a driver that ended without closing the port, such as one
// killed with SIGKILL, and only closing the emulator's side clears it.
func exclusiveProblem(path string) *portProblem {
	emulators, ok := ptyOwnersOnly(path)
	if !ok {
		return heldProblem(path)
	}
	owners := strings.Join(emulators, ", ")
	return &portProblem{variant: "stale_exclusive",
		reason: fmt.Sprintf("serial port %s is still flagged exclusive by a program that ended without "+
			"closing it; the only process with it open is the emulator that owns the pseudo-terminal, %s", path, owners),
		fix: fmt.Sprintf("restart the device emulator (%s) to clear the flag; no other program needs closing", owners)}
}

// ptyOwnersOnly returns the other processes with the pseudo-terminal slave
// path open, and true when each of them also has its master open. It
// returns false when path is not a pseudo-terminal or no other process has
// it open. NOTE: a non-root user cannot see the descriptors of other users'
// processes, so a hidden holder is missed.
func ptyOwnersOnly(path string) ([]string, bool) {
	target, err := filepath.EvalSymlinks(path)
	if err != nil || filepath.Dir(target) != "/dev/pts" {
		return nil, false
	}
	index := filepath.Base(target)
	procs, _ := filepath.Glob("/proc/[0-9]*")
	self := os.Getpid()
	var owners []string
	for _, dir := range procs {
		pid, err := strconv.Atoi(filepath.Base(dir))
		if err != nil || pid == self || !holdsFile(dir, target) {
			continue
		}
		if !holdsPtyMaster(dir, index) {
			return nil, false
		}
		comm, _ := os.ReadFile(filepath.Join(dir, "comm"))
		owners = append(owners, fmt.Sprintf("%s (pid %d)", strings.TrimSpace(string(comm)), pid))
	}
	return owners, len(owners) > 0
}

// holdsPtyMaster reports whether the process has the master of the
// pseudo-terminal /dev/pts/index open. Linux names a master descriptor
// /dev/ptmx (or /dev/pts/ptmx) and gives its slave's number as "tty-index"
// in /proc/PID/fdinfo.
func holdsPtyMaster(procDir, index string) bool {
	fds, err := os.ReadDir(filepath.Join(procDir, "fd"))
	if err != nil {
		return false
	}
	for _, fd := range fds {
		link, err := os.Readlink(filepath.Join(procDir, "fd", fd.Name()))
		if err != nil || filepath.Base(link) != "ptmx" {
			continue
		}
		info, err := os.ReadFile(filepath.Join(procDir, "fdinfo", fd.Name()))
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(info), "\n") {
			if key, value, ok := strings.Cut(line, ":"); ok && key == "tty-index" && strings.TrimSpace(value) == index {
				return true
			}
		}
	}
	return false
}

// heldProblem names the programs that have path open.
func heldProblem(path string) *portProblem {
	holders := portHolders(path)
	holder := "another program"
	if len(holders) > 0 {
		holder = strings.Join(holders, ", ")
	}
	return &portProblem{variant: "held", reason: fmt.Sprintf("serial port %s is held by %s", path, holder),
		fix: fmt.Sprintf("close the program that uses %s (%s), or run the diagnostics from the "+
			"Diagnostics screen when the permitdesk window holds it", path, holder)}
}

// portHolders lists "name (pid N)" for every other process with path open,
// read from /proc/*/fd. Processes of other users are not visible to a
// non-root user, so the list may be incomplete.
func portHolders(path string) []string {
	target, err := filepath.EvalSymlinks(path)
	if err != nil {
		return nil
	}
	procs, _ := filepath.Glob("/proc/[0-9]*")
	self := os.Getpid()
	var out []string
	for _, dir := range procs {
		pid, err := strconv.Atoi(filepath.Base(dir))
		if err != nil || pid == self || !holdsFile(dir, target) {
			continue
		}
		comm, _ := os.ReadFile(filepath.Join(dir, "comm"))
		out = append(out, fmt.Sprintf("%s (pid %d)", strings.TrimSpace(string(comm)), pid))
	}
	return out
}

func holdsFile(procDir, target string) bool {
	fds, err := os.ReadDir(filepath.Join(procDir, "fd"))
	if err != nil {
		return false
	}
	for _, fd := range fds {
		if link, err := os.Readlink(filepath.Join(procDir, "fd", fd.Name())); err == nil && link == target {
			return true
		}
	}
	return false
}

// uucpLockDirs are the folders of the UUCP-style lock files (LCK..ttyUSB0,
// the owner's pid in ASCII) that terminal programs such as minicom write.
var uucpLockDirs = []string{"/run/lock", "/var/lock"}

// uucpLockHolder returns the pid in a UUCP lock file for path when that
// process is alive and is not this one.
func uucpLockHolder(path string) (int, bool) {
	target, err := filepath.EvalSymlinks(path)
	if err != nil {
		target = path
	}
	for _, dir := range uucpLockDirs {
		b, err := os.ReadFile(filepath.Join(dir, "LCK.."+filepath.Base(target)))
		if err != nil {
			continue
		}
		pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
		if err != nil || pid <= 0 || pid == os.Getpid() {
			continue
		}
		if unix.Kill(pid, 0) == nil || errors.Is(unix.Kill(pid, 0), unix.EPERM) {
			return pid, true
		}
	}
	return 0, false
}
