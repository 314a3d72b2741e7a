package rewritersim

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"time"
)

// ServeControl accepts commands on a unix socket at path until ctx ends.
// The commands are "insert", "remove", "cover open|closed", "nak N",
// "corrupt N", "hangup MS" and "status". Each gets "ok ..." or "err ..."
// back.
func (s *Sim) ServeControl(ctx context.Context, path string) error {
	os.Remove(path)
	ln, err := net.Listen("unix", path)
	if err != nil {
		return fmt.Errorf("rewriter emulator control socket: %w", err)
	}
	context.AfterFunc(ctx, func() { ln.Close(); os.Remove(path) })
	for {
		conn, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		go func() {
			defer conn.Close()
			sc := bufio.NewScanner(conn)
			for sc.Scan() {
				fmt.Fprintln(conn, s.Control(sc.Text()))
			}
		}()
	}
}

// Control runs one control command and returns its reply line.
func (s *Sim) Control(line string) string {
	f := strings.Fields(line)
	if len(f) == 0 {
		return "err empty command"
	}
	n := -1
	if len(f) == 2 {
		if v, err := strconv.Atoi(f[1]); err == nil && v >= 0 {
			n = v
		}
	}
	switch {
	case f[0] == "help":
		return "ok commands: insert, remove, cover open|closed, nak N, corrupt N, hangup MS, status, help"
	case f[0] == "status":
		s.mu.Lock()
		defer s.mu.Unlock()
		return fmt.Sprintf("ok status=%s count=%d", s.statusLocked(), s.count)
	case f[0] == "insert":
		s.InsertCard()
	case f[0] == "remove":
		s.RemoveCard()
	case f[0] == "cover" && len(f) == 2 && (f[1] == "open" || f[1] == "closed"):
		s.SetCoverOpen(f[1] == "open")
	case f[0] == "nak" && n >= 0:
		s.NakNext(n)
	case f[0] == "corrupt" && n >= 0:
		s.CorruptNext(n)
	case f[0] == "hangup" && n >= 0:
		s.Hangup(time.Duration(n) * time.Millisecond)
	default:
		return fmt.Sprintf("err unknown or malformed command %q: use insert, remove, cover open|closed, nak N, corrupt N, hangup MS or status", line)
	}
	return "ok"
}
