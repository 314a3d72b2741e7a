package serialport

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"
	"golang.org/x/term"
)

// Pty is a pseudo-terminal pair standing in for a serial cable: an emulator
// reads and writes Master, and a driver opens SlavePath as its serial port.
// The pair keeps its own descriptor of the slave open, so the master never
// gets EIO between one driver session and the next.
type Pty struct {
	Master    *os.File
	SlavePath string
	slave     *os.File
	link      string
}

// OpenPty creates a pseudo-terminal in raw mode (no echo, no line editing,
// no CR/LF translation). When link is not empty a symbolic link at that path
// points to the slave; an existing link there is replaced atomically.
func OpenPty(link string) (*Pty, error) {
	master, slave, err := pty.Open()
	if err != nil {
		return nil, fmt.Errorf("open pseudo-terminal: %w", err)
	}
	if _, err := term.MakeRaw(int(slave.Fd())); err != nil {
		master.Close()
		slave.Close()
		return nil, fmt.Errorf("set pseudo-terminal raw: %w", err)
	}
	pollable, err := pollableFile(master)
	if err != nil {
		slave.Close()
		return nil, err
	}
	p := &Pty{Master: pollable, SlavePath: slave.Name(), slave: slave}
	if link != "" {
		if err := replaceLink(slave.Name(), link); err != nil {
			p.Close()
			return nil, err
		}
		p.link = link
	}
	return p, nil
}

// Close closes both ends. A driver holding the slave open gets a hang-up,
// as it would when a USB adapter is unplugged. The link is left in place
// so a replacement pair can take it over.
func (p *Pty) Close() error {
	err := p.Master.Close()
	if cerr := p.slave.Close(); err == nil {
		err = cerr
	}
	return err
}

// RemoveLink deletes the symbolic link, if this pair made one.
func (p *Pty) RemoveLink() error {
	if p.link == "" {
		return nil
	}
	if err := os.Remove(p.link); err != nil && !os.IsNotExist(err) {
		return fmt.Errorf("remove link %s: %w", p.link, err)
	}
	return nil
}

func replaceLink(target, link string) error {
	tmp := filepath.Join(filepath.Dir(link), "."+filepath.Base(link)+".tmp")
	os.Remove(tmp)
	if err := os.Symlink(target, tmp); err != nil {
		return fmt.Errorf("create link %s: %w", link, err)
	}
	if err := os.Rename(tmp, link); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("create link %s: %w", link, err)
	}
	return nil
}

// pollableFile returns a non-blocking duplicate of f and closes f. A blocking
// master would keep a pending Read alive through Close, so the line would
// never hang up. Through Go's poller, Close interrupts the Read and
// deadlines work.
func pollableFile(f *os.File) (*os.File, error) {
	defer f.Close()
	raw, err := f.SyscallConn()
	if err != nil {
		return nil, fmt.Errorf("pseudo-terminal master: %w", err)
	}
	var fd int
	var dupErr error
	if err := raw.Control(func(orig uintptr) { fd, dupErr = unix.Dup(int(orig)) }); err != nil {
		return nil, fmt.Errorf("pseudo-terminal master: %w", err)
	}
	if dupErr != nil {
		return nil, fmt.Errorf("duplicate pseudo-terminal master: %w", dupErr)
	}
	if err := unix.SetNonblock(fd, true); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("pseudo-terminal master: %w", err)
	}
	return os.NewFile(uintptr(fd), f.Name()), nil
}
