package card

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"permitdesk/devices/permitcard"
)

// ControlHelp lists the control commands. The help command returns it.
const ControlHelp = "commands: insert blank | insert SERIAL | remove | status | " +
	"fault remove-after N | fault tear N | fault delay DURATION | fault clear | help"

// ServeControl answers the line protocol of the package doc on a unix
// socket at path until ctx ends. A stale socket file is replaced.
func (e *Emulator) ServeControl(ctx context.Context, path string) error {
	_ = os.Remove(path)
	ln, err := net.Listen("unix", path)
	if err != nil {
		return fmt.Errorf("listen on control socket %s: %w", path, err)
	}
	go func() {
		<-ctx.Done()
		ln.Close()
	}()
	defer os.Remove(path)
	for {
		conn, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("control socket %s: %w", path, err)
		}
		go e.serveControlConn(conn)
	}
}

func (e *Emulator) serveControlConn(conn net.Conn) {
	defer conn.Close()
	sc := bufio.NewScanner(conn)
	for sc.Scan() {
		reply := e.Control(sc.Text())
		if _, err := fmt.Fprintln(conn, reply); err != nil {
			return
		}
	}
}

// Control runs one control-protocol line and returns the reply line.
func (e *Emulator) Control(line string) string {
	out, err := e.control(strings.Fields(line))
	if err != nil {
		return "err " + strings.ReplaceAll(err.Error(), "\n", " ")
	}
	if out == "" {
		return "ok"
	}
	return "ok " + out
}

func (e *Emulator) control(f []string) (string, error) {
	switch {
	case len(f) == 2 && f[0] == "insert" && f[1] == "blank":
		s, err := e.InsertBlank()
		return s.String(), err
	case len(f) == 2 && f[0] == "insert":
		s, err := permitcard.ParseSerial(f[1])
		if err != nil {
			return "", err
		}
		return s.String(), e.Insert(s)
	case len(f) == 1 && f[0] == "remove":
		e.Remove()
		return "", nil
	case len(f) == 1 && f[0] == "status":
		if s, ok := e.Status(); ok {
			return "present " + s.String(), nil
		}
		return "empty", nil
	case len(f) >= 2 && f[0] == "fault":
		return "", e.controlFault(f[1:])
	case len(f) == 1 && f[0] == "help":
		return ControlHelp, nil
	}
	return "", fmt.Errorf("unknown command %q: %s", strings.Join(f, " "), ControlHelp)
}

func (e *Emulator) controlFault(f []string) error {
	if len(f) == 1 && f[0] == "clear" {
		e.SetFaults(Faults{})
		return nil
	}
	if len(f) != 2 {
		return errors.New("fault needs a kind and a value: remove-after N, tear N, delay DURATION, or clear")
	}
	var faults Faults
	switch f[0] {
	case "remove-after", "tear":
		n, err := strconv.Atoi(f[1])
		if err != nil || n <= 0 {
			return fmt.Errorf("invalid command count %q: use a positive integer", f[1])
		}
		if f[0] == "tear" {
			faults.TearUpdate = n
		} else {
			faults.RemoveAfter = n
		}
	case "delay":
		d, err := time.ParseDuration(f[1])
		if err != nil || d < 0 {
			return fmt.Errorf("invalid delay %q: use a duration such as 50ms", f[1])
		}
		faults.Delay = d
	default:
		return fmt.Errorf("unknown fault %q: use remove-after, tear, delay or clear", f[0])
	}
	e.SetFaults(faults)
	return nil
}
