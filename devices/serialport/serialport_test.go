package serialport

import (
	"errors"
	"io"
	"path/filepath"
	"testing"
	"time"

	"permitdesk/devices"
)

type chunkWriter struct {
	max  int
	got  []byte
	fail bool
}

func (w *chunkWriter) Write(b []byte) (int, error) {
	if w.fail {
		return 0, nil
	}
	n := min(len(b), w.max)
	w.got = append(w.got, b[:n]...)
	return n, nil
}

func TestWriteFullLoopsShortWrites(t *testing.T) {
	w := &chunkWriter{max: 4096}
	data := make([]byte, 82296)
	for i := range data {
		data[i] = byte(i)
	}
	n, err := WriteFull(w, data)
	if err != nil || n != len(data) || string(w.got) != string(data) {
		t.Fatalf("WriteFull = %d, %v; delivered %d bytes", n, err, len(w.got))
	}
}

func TestWriteFullNoProgress(t *testing.T) {
	_, err := WriteFull(&chunkWriter{fail: true}, []byte("abc"))
	if !errors.Is(err, devices.ErrNotConnected) {
		t.Fatalf("error = %v, want ErrNotConnected", err)
	}
}

func TestReadTimeoutIsErrTimeout(t *testing.T) {
	pt, err := OpenPty(filepath.Join(t.TempDir(), "tty"))
	if err != nil {
		t.Fatal(err)
	}
	defer pt.Close()
	port, err := Open(Options{Path: filepath.Join(filepath.Dir(pt.link), "tty")})
	if err != nil {
		t.Fatal(err)
	}
	defer port.Close()
	buf := make([]byte, 8)
	if _, err := ReadSome(port, buf, 50*time.Millisecond); !errors.Is(err, devices.ErrTimeout) {
		t.Fatalf("read with nothing sent = %v, want ErrTimeout", err)
	}
	pt.Master.Write([]byte("OK\r"))
	n, err := ReadSome(port, buf, time.Second)
	if err != nil || string(buf[:n]) != "OK\r" {
		t.Fatalf("read = %q, %v", buf[:n], err)
	}
	pt.Close()
	if _, err := ReadSome(port, buf, time.Second); !errors.Is(err, devices.ErrNotConnected) {
		t.Errorf("read after hang-up = %v, want ErrNotConnected", err)
	}
}

func TestResolveUSBSerialNotFound(t *testing.T) {
	_, err := Resolve(Options{USBSerial: "NO-SUCH-ADAPTER"})
	if !errors.Is(err, ErrNotFound) || !errors.Is(err, devices.ErrNotConnected) {
		t.Fatalf("error = %v, want ErrNotFound and ErrNotConnected", err)
	}
	if _, err := Resolve(Options{}); !errors.Is(err, devices.ErrNotConfigured) {
		t.Errorf("empty options = %v, want ErrNotConfigured", err)
	}
}

var _ io.Writer = (*chunkWriter)(nil)
