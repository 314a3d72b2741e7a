package evolis_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"permitdesk/devices"
	"permitdesk/devices/evolis"
	"permitdesk/devices/serialport"
	evolissim "permitdesk/devices/sim/evolis"
)

func wantCode(t *testing.T, err error, code devices.Code) {
	t.Helper()
	if !evolis.IsCode(err, code) {
		t.Fatalf("error = %v, want code %s", err, code)
	}
}

func TestLateReplyUnconfirmedThenSettled(t *testing.T) {
	r := startRig(t, evolissim.Options{}, evolis.Options{Timeout: 500 * time.Millisecond, MoveTimeout: 500 * time.Millisecond})
	ctx := context.Background()
	job, err := r.printer.FeedToContactless(ctx)
	if err != nil {
		t.Fatal(err)
	}
	r.sim.LateReply("Se", 900*time.Millisecond)
	err = r.printer.PrintFaces(ctx, job, testFace(1), nil)
	if !errors.Is(err, devices.ErrUnconfirmed) {
		t.Fatalf("print error = %v, want ErrUnconfirmed", err)
	}
	if job.State != evolis.JobUnconfirmed {
		t.Fatalf("job state = %s, want unconfirmed", job.State)
	}
	if err := r.printer.PrintFaces(ctx, job, testFace(1), nil); !errors.Is(err, evolis.ErrJobState) {
		t.Errorf("second print of an unconfirmed job = %v, want ErrJobState", err)
	}
	if err := r.printer.Eject(ctx, job); !errors.Is(err, evolis.ErrJobState) {
		t.Errorf("eject of an unconfirmed job = %v, want ErrJobState", err)
	}
	state, err := r.printer.Settle(ctx, job)
	if err != nil {
		t.Fatal(err)
	}
	if state != evolis.JobPrinted {
		t.Fatalf("settled state = %s, want printed", state)
	}
	if err := r.printer.Eject(ctx, job); err != nil {
		t.Fatal(err)
	}
	if n := len(r.sim.Printed()); n != 1 {
		t.Errorf("emulator printed %d cards, want 1", n)
	}
	if got := strings.Count(r.transcript.String(), "> Se\n"); got != 2 {
		t.Errorf("Se sent %d times, want 2 (one print, one eject)", got)
	}
}

func TestSettleAfterVeryLateReply(t *testing.T) {
	r := startRig(t, evolissim.Options{}, evolis.Options{Timeout: 400 * time.Millisecond, MoveTimeout: 400 * time.Millisecond})
	ctx := context.Background()
	job, err := r.printer.FeedToContactless(ctx)
	if err != nil {
		t.Fatal(err)
	}
	r.sim.LateReply("Se", 1400*time.Millisecond) // later than the print wait and one resync wait
	if err := r.printer.PrintFaces(ctx, job, testFace(1), nil); !errors.Is(err, devices.ErrUnconfirmed) {
		t.Fatalf("print error = %v, want ErrUnconfirmed", err)
	}
	state, err := r.printer.Settle(ctx, job)
	busy := 0
	for ; evolis.IsCode(err, evolis.CodeTimeout) && busy < 10; busy++ {
		if job.State != evolis.JobUnconfirmed {
			t.Fatalf("job state = %s while the printer is busy, want unconfirmed", job.State)
		}
		state, err = r.printer.Settle(ctx, job)
	}
	if err != nil {
		t.Fatal(err)
	}
	if busy == 0 {
		t.Error("first settle succeeded; the test did not exercise a printer still busy")
	}
	if state != evolis.JobPrinted {
		t.Fatalf("settled state = %s, want printed", state)
	}
	if err := r.printer.Eject(ctx, job); err != nil {
		t.Fatal(err)
	}
	if n := len(r.sim.Printed()); n != 1 {
		t.Errorf("emulator printed %d cards, want 1", n)
	}
}

func TestSettleNotPrinted(t *testing.T) {
	r := startRig(t, evolissim.Options{}, evolis.Options{Timeout: 500 * time.Millisecond, MoveTimeout: 500 * time.Millisecond})
	ctx := context.Background()
	job, err := r.printer.FeedToContactless(ctx)
	if err != nil {
		t.Fatal(err)
	}
	r.sim.RibbonOutAt(1)
	r.sim.LateReply("Se", 900*time.Millisecond)
	if err := r.printer.PrintFaces(ctx, job, testFace(1), nil); !errors.Is(err, devices.ErrUnconfirmed) {
		t.Fatalf("print error = %v, want ErrUnconfirmed", err)
	}
	state, err := r.printer.Settle(ctx, job)
	if err != nil {
		t.Fatal(err)
	}
	if state != evolis.JobNotPrinted {
		t.Fatalf("settled state = %s, want not_printed", state)
	}
	r.sim.ReplaceRibbon(100)
	if err := r.printer.EjectToReject(ctx, job); err != nil {
		t.Fatal(err)
	}
	if job.Spoiled != 1 {
		t.Errorf("spoiled = %d, want 1", job.Spoiled)
	}
}

func TestBlankEjectCountedSpoiled(t *testing.T) {
	r := startRig(t, evolissim.Options{}, evolis.Options{})
	r.sim.BlankEjectAt(2)
	first := issue(t, r.printer, testFace(1), testFace(2))
	second := issue(t, r.printer, testFace(3), testFace(4))
	if first.Spoiled != 0 {
		t.Errorf("first job spoiled = %d, want 0", first.Spoiled)
	}
	if second.Spoiled != 1 {
		t.Errorf("second job spoiled = %d, want 1 (the blank card)", second.Spoiled)
	}
	inserted, _, _, delivered := r.sim.Counters()
	if inserted != 3 || delivered != 3 {
		t.Errorf("emulator inserted %d, delivered %d; want 3 and 3", inserted, delivered)
	}
	if n := len(r.sim.Printed()); n != 2 {
		t.Errorf("printed %d cards, want 2", n)
	}
}

func TestReopenWithJobQueued(t *testing.T) {
	r := startRig(t, evolissim.Options{}, evolis.Options{})
	issue(t, r.printer, testFace(1), nil)
	if err := r.printer.Close(); err != nil {
		t.Fatal(err)
	}
	r.sim.PowerCycle()
	job := issue(t, r.printer, testFace(2), nil)
	if job.State != evolis.JobDelivered {
		t.Errorf("job state = %s, want delivered", job.State)
	}
	if got := strings.Count(r.transcript.String(), "> Pem;2\n"); got != 2 {
		t.Errorf("Pem;2 sent %d times, want 2 (open and reopen)", got)
	}
}

func TestPowerCycleResetsErrorMode(t *testing.T) {
	r := startRig(t, evolissim.Options{}, evolis.Options{AckNack: true})
	issue(t, r.printer, testFace(1), nil)
	r.sim.PowerCycle()
	issue(t, r.printer, testFace(2), nil)
	if got := strings.Count(r.transcript.String(), "> Pem;18\n"); got != 2 {
		t.Errorf("Pem;18 sent %d times, want 2 (open and after the power cycle)", got)
	}
	if n := len(r.sim.Printed()); n != 2 {
		t.Errorf("printed %d cards, want 2", n)
	}
}

// limitedConn accepts at most 4096 bytes a write and reports success.
type limitedConn struct {
	serialport.Conn
	writes, short int
}

func (c *limitedConn) Write(b []byte) (int, error) {
	c.writes++
	if len(b) > 4096 {
		c.short++
		b = b[:4096]
	}
	return c.Conn.Write(b)
}

func TestShortPortWrites(t *testing.T) {
	var conn *limitedConn
	dial := func(o serialport.Options) (serialport.Conn, error) {
		p, err := serialport.Open(o)
		if err != nil {
			return nil, err
		}
		conn = &limitedConn{Conn: p}
		return conn, nil
	}
	r := startRig(t, evolissim.Options{}, evolis.Options{Dial: dial, Uncompressed: true})
	front := testFace(7)
	issue(t, r.printer, front, nil)
	if conn.short == 0 {
		t.Fatal("no write was cut short; the test did not exercise short writes")
	}
	printed := r.sim.Printed()
	if len(printed) != 1 || string(printed[0].Front) != string(front) {
		t.Error("printed front differs from the face sent")
	}
}

func TestShortReplyWrites(t *testing.T) {
	r := startRig(t, evolissim.Options{}, evolis.Options{})
	r.sim.ShortWrites(true)
	st, err := r.printer.Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if st.Model != "Evolis Primacy" {
		t.Errorf("model = %q, want the whole reply", st.Model)
	}
	issue(t, r.printer, testFace(1), nil)
}

func TestFaultsTypedErrors(t *testing.T) {
	ctx := context.Background()
	for _, ack := range []bool{false, true} {
		r := startRig(t, evolissim.Options{}, evolis.Options{AckNack: ack})
		name := map[bool]string{false: "text", true: "ack"}[ack]
		t.Run(name+"/cover", func(t *testing.T) {
			r.sim.SetCoverOpen(true)
			wantCode(t, r.printer.Ready(ctx), evolis.CodeCoverOpen)
			_, err := r.printer.FeedToContactless(ctx)
			wantCode(t, err, evolis.CodeCoverOpen)
			r.sim.SetCoverOpen(false)
			issue(t, r.printer, testFace(1), nil)
		})
		t.Run(name+"/feeder", func(t *testing.T) {
			r.sim.SetFeeder(0)
			wantCode(t, r.printer.Ready(ctx), evolis.CodeFeederEmpty)
			_, err := r.printer.FeedToContactless(ctx)
			wantCode(t, err, evolis.CodeFeederEmpty)
			r.sim.SetFeeder(10)
			issue(t, r.printer, testFace(1), nil)
		})
		t.Run(name+"/jam", func(t *testing.T) {
			inserted, _, _, _ := r.sim.Counters()
			r.sim.JamAt(inserted + 1)
			jam := evolis.CodeCardJam
			if ack {
				jam = evolis.CodeMechanical // NACK T: the ACK/NACK codes have no jam of their own
			}
			job, err := r.printer.FeedToContactless(ctx)
			wantCode(t, err, jam)
			if pos, _ := r.printer.Position(ctx); pos != evolis.PositionPrint {
				t.Errorf("jammed card position = %s, want print", pos)
			}
			r.sim.ClearJam()
			if job == nil {
				t.Fatal("no job returned with the jam")
			}
			issue(t, r.printer, testFace(1), nil)
		})
		t.Run(name+"/ribbon", func(t *testing.T) {
			inserted, _, _, _ := r.sim.Counters()
			r.sim.RibbonOutAt(inserted + 1)
			job, err := r.printer.FeedToContactless(ctx)
			if err != nil {
				t.Fatal(err)
			}
			err = r.printer.PrintFaces(ctx, job, testFace(1), nil)
			wantCode(t, err, evolis.CodeRibbonOut)
			if job.State != evolis.JobNotPrinted {
				t.Errorf("job state = %s, want not_printed", job.State)
			}
			r.sim.ReplaceRibbon(100)
			if err := r.printer.PrintFaces(ctx, job, testFace(1), nil); !errors.Is(err, evolis.ErrJobState) {
				t.Errorf("second print after a failed print = %v, want ErrJobState", err)
			}
			if err := r.printer.EjectToReject(ctx, job); err != nil {
				t.Fatal(err)
			}
			if job.Spoiled != 1 {
				t.Errorf("spoiled = %d, want 1", job.Spoiled)
			}
			issue(t, r.printer, testFace(1), nil)
		})
		t.Run(name+"/busy", func(t *testing.T) {
			r.sim.Busy(1)
			_, err := r.printer.Counters(ctx)
			busy := evolis.CodeBusy
			if ack {
				busy = evolis.CodeMechanical // NACK T, as for any other mechanical wait
			}
			wantCode(t, err, busy)
			if !ack && !errors.Is(err, devices.ErrBusy) {
				t.Errorf("busy error %v does not match devices.ErrBusy", err)
			}
			if _, err := r.printer.Counters(ctx); err != nil {
				t.Errorf("counters after busy: %v", err)
			}
		})
		t.Run(name+"/cleaning", func(t *testing.T) {
			if ack {
				t.Skip("ACK/NACK mode reports the cleaning warning as NACK T, like a mechanical fault")
			}
			r.sim.SetNeedsCleaning(true)
			st, err := r.printer.Status(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if !st.NeedsCleaning {
				t.Error("status does not report the cleaning warning")
			}
			issue(t, r.printer, testFace(1), nil)
			r.sim.SetNeedsCleaning(false)
			if st, _ := r.printer.Status(ctx); st.NeedsCleaning {
				t.Error("cleaning warning still reported after cleaning")
			}
		})
		t.Run(name+"/unknown command", func(t *testing.T) {
			_, err := r.printer.Command(ctx, "Zz", "1")
			wantCode(t, err, evolis.CodeUnknownCommand)
		})
	}
}

func TestDisconnectDuringDownload(t *testing.T) {
	r := startRig(t, evolissim.Options{}, evolis.Options{})
	ctx := context.Background()
	job, err := r.printer.FeedToContactless(ctx)
	if err != nil {
		t.Fatal(err)
	}
	r.sim.DisconnectDuringDownload(2000, 300*time.Millisecond)
	err = r.printer.PrintFaces(ctx, job, testFace(1), testFace(2))
	if !errors.Is(err, devices.ErrNotConnected) {
		t.Fatalf("print error = %v, want ErrNotConnected", err)
	}
	if job.State != evolis.JobNotPrinted {
		t.Fatalf("job state = %s, want not_printed (Se was never sent)", job.State)
	}
	rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := r.printer.Reconnect(rctx); err != nil {
		t.Fatal(err)
	}
	pos, err := r.printer.Position(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if pos != evolis.PositionContactless {
		t.Fatalf("card position after reconnect = %s, want contactless", pos)
	}
	if err := r.printer.PrintFaces(ctx, job, testFace(1), testFace(2)); err != nil {
		t.Fatal(err)
	}
	if err := r.printer.Eject(ctx, job); err != nil {
		t.Fatal(err)
	}
	if n := len(r.sim.Printed()); n != 1 || job.Spoiled != 0 {
		t.Errorf("printed %d cards with %d spoiled, want 1 and 0", n, job.Spoiled)
	}
}

func TestMalformedInput(t *testing.T) {
	r := startRig(t, evolissim.Options{}, evolis.Options{})
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		cmd  string
		args []string
		code devices.Code
	}{
		{"unknown", "Xq", nil, evolis.CodeUnknownCommand},
		{"bad error mode", "Pem", []string{"7"}, evolis.CodeBadParameter},
		{"missing parameter", "Pneab", nil, evolis.CodeBadParameter},
		{"bad counter", "Rco", []string{"z"}, evolis.CodeBadParameter},
		{"download outside sequence", "Db", []string{"k", "32"}, evolis.CodeBadParameter},
		{"reject with no card", "Ser", nil, evolis.CodeNoCard},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := r.printer.Command(ctx, tc.cmd, tc.args...)
			wantCode(t, err, tc.code)
		})
	}
}

// TestReconnectWithJobQueued drops the line between jobs. The next job
// waits for the port to come back, then runs with the error mode set again.
func TestReconnectWithJobQueued(t *testing.T) {
	r := startRig(t, evolissim.Options{}, evolis.Options{ReconnectWait: 10 * time.Second})
	ctx := context.Background()
	issue(t, r.printer, testFace(1), nil)
	r.sim.Hangup(300 * time.Millisecond)
	if _, err := r.printer.Counters(ctx); !errors.Is(err, devices.ErrNotConnected) {
		t.Fatalf("command on a dropped line = %v, want ErrNotConnected", err)
	}
	job := issue(t, r.printer, testFace(2), nil)
	if job.State != evolis.JobDelivered || job.Spoiled != 0 {
		t.Errorf("queued job: state %s, spoiled %d; want delivered, 0", job.State, job.Spoiled)
	}
	if n := len(r.sim.Printed()); n != 2 {
		t.Errorf("printed %d cards, want 2", n)
	}
	if got := strings.Count(r.transcript.String(), "> Pem;2\n"); got != 2 {
		t.Errorf("Pem;2 sent %d times, want 2 (open and reconnect)", got)
	}
}

func TestOpenAfterLateReplyInFlight(t *testing.T) {
	fast := evolis.Options{Timeout: 2 * time.Second, MoveTimeout: 300 * time.Millisecond}
	r := startRig(t, evolissim.Options{}, fast)
	ctx := context.Background()
	r.sim.LateReply("Sic", 1500*time.Millisecond)
	if _, err := r.printer.FeedToContactless(ctx); !evolis.IsCode(err, evolis.CodeTimeout) {
		t.Fatalf("feed error = %v, want code %s", err, evolis.CodeTimeout)
	}
	r.printer.Close() // the reply to Sic is still owed, as after a killed process

	next, err := evolis.Open(ctx, r.opts)
	if err != nil {
		t.Fatalf("open with a late reply in flight: %v", err)
	}
	defer next.Close()
	st, err := next.Status(ctx)
	if err != nil {
		t.Fatalf("status: %v", err)
	}
	if st.Model != "Evolis Primacy" {
		t.Errorf("model = %q, want Evolis Primacy", st.Model)
	}
	if st.Serial != "EMU00001" {
		t.Errorf("serial = %q, want EMU00001", st.Serial)
	}
	if st.Firmware != "1.0.0" {
		t.Errorf("firmware = %q, want 1.0.0", st.Firmware)
	}
	if st.Position != evolis.PositionContactless {
		t.Errorf("position = %s, want contactless (the late Sic moved the card)", st.Position)
	}
	if strings.Count(r.transcript.String(), "> Sic\n") != 1 {
		t.Errorf("Sic sent more than once:\n%s", r.transcript.String())
	}
}

func TestStaleReplyLeftInBuffer(t *testing.T) {
	fast := evolis.Options{Timeout: 300 * time.Millisecond}
	r := startRig(t, evolissim.Options{}, fast)
	ctx := context.Background()
	r.sim.LateReply("Rfv", 500*time.Millisecond)
	if _, err := r.printer.Status(ctx); !evolis.IsCode(err, evolis.CodeTimeout) {
		t.Fatalf("status error = %v, want code %s", err, evolis.CodeTimeout)
	}
	r.printer.Close()
	time.Sleep(time.Second) // the late "1.0.0" arrives while no driver has the port open

	next, err := evolis.Open(ctx, r.opts)
	if err != nil {
		t.Fatalf("open with a stale reply buffered: %v", err)
	}
	defer next.Close()
	pos, err := next.Position(ctx)
	if err != nil {
		t.Fatalf("position: %v", err)
	}
	if pos != evolis.PositionNone {
		t.Errorf("position = %s, want none", pos)
	}
}
