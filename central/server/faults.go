package server

import (
	"bufio"
	"bytes"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"
	"time"
)

// Faults are the failures the server injects on demand, so a client can be
// tested against a link and a server that misbehave. Rates are shares of
// requests between 0 and 1; the Next counters force the next N requests to
// fail that way before the rates are consulted. Only /v1/ requests are
// affected, never the admin endpoints.
type Faults struct {
	// LatencyMs delays every request; JitterMs adds up to that much more.
	LatencyMs int `json:"latencyMs"`
	JitterMs  int `json:"jitterMs"`
	// ErrorRate returns 503 before the request is handled.
	ErrorRate float64 `json:"errorRate"`
	// DropRate handles the request, commits, then closes the connection
	// without a reply: the reply is lost after the commit.
	DropRate float64 `json:"dropRate"`
	// PartialRate gives that share of the records in a batch the result
	// "retry" without deciding them.
	PartialRate float64 `json:"partialRate"`
	// MalformedRate replaces the reply, after the commit, with broken JSON.
	MalformedRate float64 `json:"malformedRate"`
	// OversizeRate pads the reply, after the commit, with OversizeBytes of
	// white space; 0 bytes means 40 MiB.
	OversizeRate  float64 `json:"oversizeRate"`
	OversizeBytes int     `json:"oversizeBytes"`
	// CutAfterBatches, when above 0, closes the connection of every record
	// batch after that many batches succeeded, before reading it: the link
	// is cut. Setting faults restarts the count.
	CutAfterBatches int `json:"cutAfterBatches"`

	ErrorNext     int `json:"errorNext"`
	DropNext      int `json:"dropNext"`
	MalformedNext int `json:"malformedNext"`
	OversizeNext  int `json:"oversizeNext"`
}

// Validate checks the rates and counts.
func (f Faults) Validate() error {
	rates := map[string]float64{"errorRate": f.ErrorRate, "dropRate": f.DropRate, "partialRate": f.PartialRate,
		"malformedRate": f.MalformedRate, "oversizeRate": f.OversizeRate}
	for name, r := range rates {
		if r < 0 || r > 1 {
			return fmt.Errorf("fault %s is %v: use a share between 0 and 1", name, r)
		}
	}
	if f.ErrorRate+f.DropRate+f.MalformedRate+f.OversizeRate > 1 {
		return fmt.Errorf("fault rates errorRate+dropRate+malformedRate+oversizeRate add up to more than 1")
	}
	if f.LatencyMs < 0 || f.JitterMs < 0 || f.OversizeBytes < 0 || f.CutAfterBatches < 0 {
		return fmt.Errorf("fault latencies, sizes and counts must not be negative")
	}
	return nil
}

type fault int

const (
	faultNone fault = iota
	faultError
	faultDrop
	faultMalformed
	faultOversize
	faultCut
)

// injector holds the fault settings and their counters; the server's mutex
// guards it.
type injector struct {
	f       Faults
	rng     *rand.Rand
	batches int // record batches that succeeded since the faults were set
}

func (in *injector) delay() time.Duration {
	d := time.Duration(in.f.LatencyMs) * time.Millisecond
	if in.f.JitterMs > 0 {
		d += time.Duration(in.rng.IntN(in.f.JitterMs+1)) * time.Millisecond
	}
	return d
}

func (in *injector) pick(isBatch bool) fault {
	if isBatch && in.f.CutAfterBatches > 0 && in.batches >= in.f.CutAfterBatches {
		return faultCut
	}
	for _, c := range []struct {
		n *int
		f fault
	}{{&in.f.ErrorNext, faultError}, {&in.f.DropNext, faultDrop}, {&in.f.MalformedNext, faultMalformed},
		{&in.f.OversizeNext, faultOversize}} {
		if *c.n > 0 {
			*c.n--
			return c.f
		}
	}
	x := in.rng.Float64()
	for _, c := range []struct {
		rate float64
		f    fault
	}{{in.f.ErrorRate, faultError}, {in.f.DropRate, faultDrop}, {in.f.MalformedRate, faultMalformed},
		{in.f.OversizeRate, faultOversize}} {
		if x < c.rate {
			return c.f
		}
		x -= c.rate
	}
	return faultNone
}

// bufferedWriter keeps a handler's reply so a fault can replace it after the
// handler committed.
type bufferedWriter struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func newBufferedWriter() *bufferedWriter { return &bufferedWriter{header: http.Header{}} }

func (b *bufferedWriter) Header() http.Header { return b.header }

func (b *bufferedWriter) Write(p []byte) (int, error) {
	if b.status == 0 {
		b.status = http.StatusOK
	}
	return b.body.Write(p)
}

func (b *bufferedWriter) WriteHeader(code int) {
	if b.status == 0 {
		b.status = code
	}
}

func (b *bufferedWriter) copyTo(w http.ResponseWriter, body []byte, pad int) {
	for k, v := range b.header {
		w.Header()[k] = v
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(body)+pad))
	w.WriteHeader(b.status)
	w.Write(body)
	if pad > 0 {
		bw := bufio.NewWriterSize(w, 64<<10)
		space := bytes.Repeat([]byte{' '}, 64<<10)
		for pad > 0 {
			n := min(pad, len(space))
			bw.Write(space[:n])
			pad -= n
		}
		bw.Flush()
	}
}

// closeConn closes the connection under the request without a reply.
func closeConn(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler)
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	conn.Close()
}
