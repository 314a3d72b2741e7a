package evolissim

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"strings"
	"time"
)

// CardSlot is the contactless station of the card emulator. Insert puts the
// next blank card in the field and returns its serial; Remove takes it out.
type CardSlot interface {
	Insert(ctx context.Context) (serial string, err error)
	Remove(ctx context.Context) error
}

// SocketSlot talks to a card emulator's control socket, one connection per
// request: it sends "insert blank\n" (reply "ok SERIAL" or "err ...") and
// "remove\n" (reply "ok").
type SocketSlot struct {
	// Path is the unix socket path.
	Path string
	// Timeout bounds each request; 0 means 5s.
	Timeout time.Duration
}

// Insert requests a blank card from the card emulator.
func (s SocketSlot) Insert(ctx context.Context) (string, error) {
	reply, err := s.request(ctx, "insert blank")
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(strings.TrimPrefix(reply, "ok")), nil
}

// Remove requests that the card emulator take the card out of the field.
func (s SocketSlot) Remove(ctx context.Context) error {
	_, err := s.request(ctx, "remove")
	return err
}

func (s SocketSlot) request(ctx context.Context, line string) (string, error) {
	timeout := s.Timeout
	if timeout == 0 {
		timeout = 5 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var d net.Dialer
	conn, err := d.DialContext(ctx, "unix", s.Path)
	if err != nil {
		return "", fmt.Errorf("card emulator control %s: %w", s.Path, err)
	}
	defer conn.Close()
	deadline, _ := ctx.Deadline()
	conn.SetDeadline(deadline)
	if _, err := fmt.Fprintf(conn, "%s\n", line); err != nil {
		return "", fmt.Errorf("card emulator control %s: send %q: %w", s.Path, line, err)
	}
	reply, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		return "", fmt.Errorf("card emulator control %s: read reply to %q: %w", s.Path, line, err)
	}
	reply = strings.TrimSpace(reply)
	if reply != "ok" && !strings.HasPrefix(reply, "ok ") {
		return "", fmt.Errorf("card emulator control %s: %q failed: %s", s.Path, line, reply)
	}
	return reply, nil
}
