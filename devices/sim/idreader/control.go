package idreadersim

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
)

// ControlHelp lists the control commands.
const ControlHelp = "commands: place N | remove | fault NAME [TIMES] | status | help " +
	"(faults: none, checksum, length, truncate, silent, remove-after-select, bad-id-number, sequence)"

// Command runs one control command line and returns the reply.
func (e *Emulator) Command(line string) (string, error) {
	f := strings.Fields(line)
	if len(f) == 0 {
		return "", nil
	}
	switch f[0] {
	case "place":
		return e.commandPlace(f[1:])
	case "remove":
		e.Remove()
		return "card removed", nil
	case "fault":
		return e.commandFault(f[1:])
	case "status":
		return e.status(), nil
	case "help":
		return ControlHelp, nil
	}
	return "", fmt.Errorf("unknown command %q; %s", f[0], ControlHelp)
}

func (e *Emulator) commandPlace(args []string) (string, error) {
	i := 0
	if len(args) > 0 {
		n, err := strconv.Atoi(args[0])
		if err != nil {
			return "", fmt.Errorf("place %q: give the card number, 0 to %d", args[0], len(e.cards)-1)
		}
		i = n
	}
	if err := e.Place(i); err != nil {
		return "", err
	}
	return fmt.Sprintf("card %d placed: %s", i, e.cards[i].Identity.Name), nil
}

func (e *Emulator) commandFault(args []string) (string, error) {
	if len(args) == 0 {
		return "", errors.New("fault: name the fault; " + ControlHelp)
	}
	f, err := ParseFault(args[0])
	if err != nil {
		return "", err
	}
	times := 0
	if len(args) > 1 {
		if times, err = strconv.Atoi(args[1]); err != nil || times < 0 {
			return "", fmt.Errorf("fault %s %q: TIMES is a count of responses, 0 for until cleared", f, args[1])
		}
	}
	e.SetFault(f, times)
	return fmt.Sprintf("fault %q set", f), nil
}

func (e *Emulator) status() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	card := "none"
	if e.present >= 0 {
		card = fmt.Sprintf("%d (%s)", e.present, e.cards[e.present].Identity.Name)
	}
	fault := string(e.fault)
	if fault == "" {
		fault = "none"
	}
	return fmt.Sprintf("card %s, fault %s, %d commands handled", card, fault, e.commands)
}

// ServeLines runs control commands read line by line from r, writing each
// reply or error to w, until r ends.
func (e *Emulator) ServeLines(r io.Reader, w io.Writer) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		reply, err := e.Command(sc.Text())
		switch {
		case err != nil:
			fmt.Fprintln(w, "error:", err)
		case reply != "":
			fmt.Fprintln(w, reply)
		}
	}
}

// ServeControl accepts connections on a unix socket at path and runs the
// commands each one sends, until ctx ends. The socket file is removed on
// return.
func (e *Emulator) ServeControl(ctx context.Context, path string) error {
	os.Remove(path)
	l, err := net.Listen("unix", path)
	if err != nil {
		return fmt.Errorf("listen on control socket: %w", err)
	}
	defer os.Remove(path)
	stop := context.AfterFunc(ctx, func() { l.Close() })
	defer stop()
	for {
		conn, err := l.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("control socket: %w", err)
		}
		go func() {
			defer conn.Close()
			e.ServeLines(conn, conn)
		}()
	}
}
