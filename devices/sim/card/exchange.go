package card

import (
	"errors"
	"strconv"
	"time"

	"permitdesk/devices/apdu"
)

// errGone reports that the card left the field before answering.
var errGone = errors.New("card left the field")

// exchange runs one command on the card of insertion gen, applying faults
// and counting traffic. It returns errGone when the card is no longer
// present or a fault removed it; the caller then drops the link.
func (e *Emulator) exchange(gen int, cmd []byte) ([]byte, error) {
	e.mu.Lock()
	c := e.present
	if c == nil || e.gen != gen {
		e.mu.Unlock()
		return nil, errGone
	}
	if e.fireFaultsLocked(c, cmd) {
		e.mu.Unlock()
		return nil, errGone
	}
	delay := e.faults.Delay
	e.mu.Unlock()

	start := time.Now()
	rsp, changed := c.process(cmd)
	took := time.Since(start)
	if changed {
		if err := e.store.save(c.snapshot()); err != nil {
			e.log.Error("card state not saved", "serial", c.serial().String(), "err", err)
		}
	}
	if delay > 0 {
		time.Sleep(delay)
	}
	e.count(cmd, rsp, took)
	return rsp, nil
}

// fireFaultsLocked applies a due one-shot fault. It reports whether the
// card was removed.
func (e *Emulator) fireFaultsLocked(c *chip, cmd []byte) bool {
	e.commands++
	if n := e.faults.RemoveAfter; n > 0 && e.commands >= n {
		e.faults.RemoveAfter = 0
		e.removeLocked("removed by fault before command " + strconv.Itoa(n))
		return true
	}
	if len(cmd) < 2 || cmd[1] != apdu.InsUpdateBinary {
		return false
	}
	e.updates++
	if n := e.faults.TearUpdate; n > 0 && e.updates >= n {
		e.faults.TearUpdate = 0
		c.process(tornCommand(cmd))
		if err := e.store.save(c.snapshot()); err != nil {
			e.log.Error("card state not saved", "serial", c.serial().String(), "err", err)
		}
		e.removeLocked("torn during UPDATE BINARY " + strconv.Itoa(n))
		return true
	}
	return false
}

// tornCommand keeps the first half of an UPDATE BINARY's data.
func tornCommand(raw []byte) []byte {
	cmd, _, err := apdu.ParseCommand(raw)
	if err != nil || len(cmd.Data) < 2 {
		return raw
	}
	cmd.Data = cmd.Data[:len(cmd.Data)/2]
	b, err := cmd.Bytes(true)
	if err != nil {
		return raw
	}
	return b
}

func (e *Emulator) count(cmd, rsp []byte, took time.Duration) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.stats.APDUs++
	e.stats.BytesIn += len(cmd)
	e.stats.BytesOut += len(rsp)
	e.stats.Air106 += AirTime(len(cmd), len(rsp), Rate106)
	e.stats.Air424 += AirTime(len(cmd), len(rsp), Rate424)
	e.stats.Processed += took
}
