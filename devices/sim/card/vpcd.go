package card

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"syscall"
	"time"
)

// vpcd control codes (1-byte payloads).
const (
	vpcdPowerOff = 0
	vpcdPowerOn  = 1
	vpcdReset    = 2
	vpcdGetATR   = 4
)

// Link is one card in the field of a vpcd reader.
type Link interface {
	// ATR returns the answer to reset.
	ATR() []byte
	// Reset clears the card's session state (power on, power off, reset).
	Reset()
	// Exchange runs one command APDU. An error means the card left the
	// field and the connection must close without an answer.
	Exchange(cmd []byte) ([]byte, error)
	// Done is closed when the card leaves the field.
	Done() <-chan struct{}
}

// RunLink keeps a connection to vpcd at addr open for each card that next
// returns, reconnecting every 100 ms while vpcd is unreachable (pcscd not
// running or restarting). It returns when ctx ends.
func RunLink(ctx context.Context, addr string, log *slog.Logger, next func(context.Context) (Link, error)) error {
	for {
		link, err := next(ctx)
		if err != nil {
			return err
		}
		conn, err := dialUntil(ctx, addr, link.Done(), log)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			continue // the card left the field before vpcd answered
		}
		err = serveConn(ctx, conn, link)
		switch {
		case ctx.Err() != nil:
			return ctx.Err()
		case err != nil && !errors.Is(err, errGone):
			log.Warn("vpcd link dropped, reconnecting", "addr", addr, "err", err)
		}
	}
}

func dialUntil(ctx context.Context, addr string, done <-chan struct{}, log *slog.Logger) (net.Conn, error) {
	var d net.Dialer
	warned := false
	for {
		conn, err := d.DialContext(ctx, "tcp", addr)
		if err == nil {
			log.Debug("vpcd connected", "addr", addr)
			return conn, nil
		}
		if !warned {
			log.Warn("vpcd not reachable, retrying every 100ms (is pcscd running?)", "addr", addr, "err", err)
			warned = true
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-done:
			return nil, errGone
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// serveConn answers vpcd until the connection fails or the card leaves.
func serveConn(ctx context.Context, conn net.Conn, link Link) error {
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		select {
		case <-ctx.Done():
		case <-link.Done():
		case <-stop:
		}
		conn.Close()
	}()
	for {
		msg, err := readMsg(conn)
		if err != nil {
			select {
			case <-link.Done():
				return errGone
			default:
				return err
			}
		}
		rsp, err := answer(link, msg)
		if err != nil {
			conn.Close()
			return err
		}
		if rsp != nil {
			if err := writeMsg(conn, rsp); err != nil {
				return err
			}
		}
	}
}

func answer(link Link, msg []byte) ([]byte, error) {
	if len(msg) != 1 {
		return link.Exchange(msg)
	}
	switch msg[0] {
	case vpcdPowerOff, vpcdPowerOn, vpcdReset:
		link.Reset()
		return nil, nil
	case vpcdGetATR:
		return link.ATR(), nil
	}
	return nil, fmt.Errorf("unknown vpcd control code %d", msg[0])
}

func readMsg(conn net.Conn) ([]byte, error) {
	var hdr [2]byte
	if _, err := io.ReadFull(conn, hdr[:]); err != nil {
		return nil, err
	}
	// vpcd sends the length and the payload in two writes; acknowledging
	// the length at once lets Nagle's algorithm release the payload.
	quickAck(conn)
	msg := make([]byte, binary.BigEndian.Uint16(hdr[:]))
	if _, err := io.ReadFull(conn, msg); err != nil {
		return nil, err
	}
	quickAck(conn)
	return msg, nil
}

func writeMsg(conn net.Conn, payload []byte) error {
	out := binary.BigEndian.AppendUint16(make([]byte, 0, 2+len(payload)), uint16(len(payload)))
	_, err := conn.Write(append(out, payload...))
	return err
}

// quickAck turns on TCP_QUICKACK, which Linux clears after each ACK, so the
// next read is acknowledged at once instead of after the delayed-ACK timer.
func quickAck(conn net.Conn) {
	tcp, ok := conn.(*net.TCPConn)
	if !ok {
		return
	}
	raw, err := tcp.SyscallConn()
	if err != nil {
		return
	}
	_ = raw.Control(func(fd uintptr) {
		_ = syscall.SetsockoptInt(int(fd), syscall.IPPROTO_TCP, syscall.TCP_QUICKACK, 1)
	})
}
