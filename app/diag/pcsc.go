package diag

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"permitdesk/app/config"
	"permitdesk/devices"
	"permitdesk/devices/apdu"
	"permitdesk/devices/keys"
	"permitdesk/devices/pcsc"
)

// PCSC is the PC/SC service as the checks use it. SystemPCSC is the real
// one; tests inject others to reach states such as a stopped pcscd without
// stopping the machine's only pcscd.
type PCSC interface {
	// Readers lists the reader names. An error wrapping pcsc.ErrServiceLost
	// means pcscd is not running.
	Readers(ctx context.Context) ([]string, error)
	// Connect connects to the card in the reader with this exact name,
	// waiting for one until ctx ends (then the error wraps
	// devices.ErrTimeout).
	Connect(ctx context.Context, reader string) (CardConn, error)
}

// CardConn is a connected card.
type CardConn interface {
	apdu.Transmitter
	ATR() []byte
	// Protocol returns "T=0" or "T=1".
	Protocol() string
	Close() error
}

// SystemPCSC reaches pcscd through devices/pcsc.
type SystemPCSC struct{}

// Readers lists the readers with a short-lived PC/SC context.
func (SystemPCSC) Readers(ctx context.Context) ([]string, error) { return pcsc.ListReaders(ctx) }

// Connect opens a context for reader and connects to its card.
func (SystemPCSC) Connect(ctx context.Context, reader string) (CardConn, error) {
	r, err := pcsc.Open(pcsc.Options{Reader: reader, PollInterval: 100 * time.Millisecond})
	if err != nil {
		return nil, err
	}
	c, err := r.Connect(ctx)
	if err != nil {
		r.Close()
		return nil, err
	}
	return systemCard{Card: c, reader: r}, nil
}

type systemCard struct {
	*pcsc.Card
	reader *pcsc.Reader
}

func (c systemCard) Close() error { return errors.Join(c.Card.Close(), c.reader.Close()) }

// pcscdFix is the fix for a PC/SC service that does not respond.
const pcscdFix = "start the PC/SC daemon: `systemctl start pcscd.socket`, or run `pcscd` " +
	"where systemd is not used; then run the diagnostics again"

// checkPCSCD reports whether pcscd responds and returns the reader list.
func (s *Service) checkPCSCD(ctx context.Context) ([]Check, []string, error) {
	l := checkList{device: "pcscd"}
	readers, err := s.opts.PCSC.Readers(ctx)
	switch {
	case errors.Is(err, pcsc.ErrServiceLost):
		l.fail("pcscd.service", "the PC/SC daemon (pcscd) is not running: "+err.Error(), pcscdFix, nil).
			variant("not_running")
	case err != nil:
		l.fail("pcscd.service", "listing PC/SC readers failed: "+err.Error(), pcscdFix, nil).variant("list_failed")
	default:
		l.pass("pcscd.service", fmt.Sprintf("pcscd answers with %d reader(s)", len(readers)),
			map[string]string{"readers": strings.Join(readers, "; ")})
	}
	return l.checks, readers, err
}

// readerRole is one configured PC/SC reader and what it is used for.
type readerRole struct {
	device string // encoder, psam or desk_reader
	field  string // configuration key of the reader name
	cfg    config.Reader
}

var cardCheckIDs = []string{"reader", "card", "atr", "extended", "rtt"}

func prefixed(device string, ids []string) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = device + "." + id
	}
	return out
}

// checkReader runs the reader and chip checks of one PC/SC role.
func (s *Service) checkReader(ctx context.Context, role readerRole, readers []string, listErr error) []Check {
	l := checkList{device: role.device}
	ids := prefixed(role.device, cardCheckIDs)
	if role.device == "psam" {
		ids = []string{"psam.reader", "psam.card", "psam.atr", "psam.rtt", "psam.keys"}
	}
	if role.cfg.Name == "" {
		l.skipRest(ids, "not_configured", "not configured: set "+role.field+" to enable it")
		return l.checks
	}
	if listErr != nil {
		l.fail(role.device+".reader", "cannot list readers: "+listErr.Error(), pcscdFix, nil).variant("no_pcsc")
		l.skipRest(ids, "prerequisite", "PC/SC is not available")
		return l.checks
	}
	name, ok := matchReader(readers, role.cfg.Name)
	if !ok {
		l.fail(role.device+".reader", fmt.Sprintf("no PC/SC reader name contains %q (readers: %s)",
			role.cfg.Name, listOrNone(readers)), fmt.Sprintf("connect the reader and check its USB cable, "+
			"or set %s to part of one of the listed names", role.field), nil).variant("not_found")
		l.skipRest(ids, "prerequisite", "reader not found")
		return l.checks
	}
	l.pass(role.device+".reader", "reader found: "+name, map[string]string{"reader": name})
	s.checkCard(ctx, &l, role, name)
	l.skipRest(ids, "no_card", "no card in the reader")
	return l.checks
}

func matchReader(readers []string, substr string) (string, bool) {
	i := slices.IndexFunc(readers, func(n string) bool { return strings.Contains(n, substr) })
	if i < 0 {
		return "", false
	}
	return readers[i], true
}

func listOrNone(list []string) string {
	if len(list) == 0 {
		return "none"
	}
	sorted := slices.Clone(list)
	sort.Strings(sorted)
	return strings.Join(sorted, ", ")
}

// checkCard connects to the card and runs the chip checks.
func (s *Service) checkCard(ctx context.Context, l *checkList, role readerRole, reader string) {
	wait, cancel := context.WithTimeout(ctx, s.opts.CardWait)
	card, err := s.opts.PCSC.Connect(wait, reader)
	cancel()
	if errors.Is(err, devices.ErrTimeout) && ctx.Err() == nil {
		fix := "place a card on the reader to run the chip checks"
		if role.device == "psam" {
			l.fail(role.device+".card", "no key card (PSAM) in "+reader,
				"insert the station's PSAM into the key-card reader", nil).variant("no_psam")
			return
		}
		l.skip(role.device+".card", "no_card", "no card in "+reader+": "+fix)
		return
	}
	if err != nil {
		l.fail(role.device+".card", "connecting to the card failed: "+err.Error(),
			"take the card out and put it back; if it persists, try another card", nil).variant("connect_failed")
		return
	}
	defer card.Close()
	l.pass(role.device+".card", "card present", map[string]string{"protocol": card.Protocol()})
	s.checkATR(l, role.device, card.ATR())
	if role.device == "psam" {
		s.checkPSAM(ctx, l, card)
		return
	}
	s.checkExtended(ctx, l, role, card)
	s.checkRTT(ctx, l, role.device, card, apdu.SelectFID(0x3F00, apdu.SelectFCI), "SELECT MF")
}

func (s *Service) checkATR(l *checkList, device string, raw []byte) {
	id := device + ".atr"
	a, err := ParseATR(raw)
	if err != nil {
		l.fail(id, fmt.Sprintf("ATR %X cannot be decoded: %v", raw, err),
			"reset the card by taking it out and back; a card that keeps sending this ATR is faulty", nil)
		return
	}
	d := map[string]string{"atr": groupHex(fmt.Sprintf("%X", raw)), "convention": a.Convention,
		"protocols": strings.Join(a.Protocols, ","), "historical": fmt.Sprintf("%X", a.Historical),
		"category": a.Category, "tck": a.TCK}
	if t := printable(a.Historical); t != "" {
		d["historical_text"] = t
	}
	if a.Extended != "" {
		d["atr_extended"] = a.Extended
	}
	if a.TCK == "invalid" {
		l.warn(id, "ATR check byte (TCK) is wrong", "take the card out and back; replace it if this repeats", d)
		return
	}
	l.pass(id, fmt.Sprintf("ATR %s: %s, historical bytes %s", d["atr"], strings.Join(a.Protocols, "/"), a.Category), d)
}

// checkExtended sends a case-2 GET CHALLENGE in extended form, which
// changes nothing on the card, and compares the response with the
// configuration's extended setting.
func (s *Service) checkExtended(ctx context.Context, l *checkList, role readerRole, card CardConn) {
	id := role.device + ".extended"
	cmd := []byte{0x00, apdu.InsGetChallenge, 0x00, 0x00, 0x00, 0x00, 0x08}
	rsp, err := card.Transmit(ctx, cmd)
	if err != nil {
		l.fail(id, "extended-length GET CHALLENGE failed: "+err.Error(),
			"keep the card still on the reader and run the check again", nil).variant("transmit_failed")
		return
	}
	r, err := apdu.ParseResponse(rsp)
	if err != nil {
		l.fail(id, "malformed response to GET CHALLENGE: "+err.Error(), "try another card", nil).variant("malformed")
		return
	}
	supported := r.SW.OK() && len(r.Data) == 8
	d := map[string]string{"sw": r.SW.String(), "supported": fmt.Sprint(supported),
		"configured": fmt.Sprint(role.cfg.Extended)}
	switch {
	case supported:
		l.pass(id, "extended-length APDUs work", d).variant("supported")
	case role.cfg.Extended:
		l.fail(id, fmt.Sprintf("extended-length APDUs are configured but the card or reader answers %s (%s)",
			r.SW, r.SW.Meaning()), "set "+strings.TrimSuffix(role.field, ".name")+
			".extended = false, or use a reader and cards that support extended length", d).variant("not_supported")
	default:
		l.pass(id, "extended-length APDUs are not supported and not configured; short APDUs are used", d).
			variant("short_only")
	}
}

// checkRTT times a harmless command several times and reports the median.
func (s *Service) checkRTT(ctx context.Context, l *checkList, device string, card CardConn,
	cmd apdu.Command, name string) {
	id := device + ".rtt"
	x := apdu.NewExchanger(card, apdu.ExchangeOptions{})
	times := make([]time.Duration, 0, s.opts.RTTSamples)
	var sw apdu.StatusWord
	for range s.opts.RTTSamples {
		start := time.Now()
		rsp, err := x.Exchange(ctx, cmd)
		if err != nil {
			l.fail(id, name+" failed: "+err.Error(), "keep the card still on the reader and run the check again", nil)
			return
		}
		times = append(times, time.Since(start))
		sw = rsp.SW
	}
	slices.Sort(times)
	median := times[len(times)/2]
	d := map[string]string{"command": name, "sw": sw.String(), "sw_meaning": sw.Meaning(),
		"rtt_ms": ms(median), "max_ms": ms(times[len(times)-1]), "samples": fmt.Sprint(len(times))}
	if median > s.opts.SlowAPDU {
		l.warn(id, fmt.Sprintf("%s takes %s ms, more than %s ms", name, ms(median), ms(s.opts.SlowAPDU)),
			"connect the reader directly to the computer instead of through a hub, and check the cable", d)
		return
	}
	l.pass(id, fmt.Sprintf("%s answers %s in %s ms", name, sw, ms(median)), d)
}

// checkPSAM selects the PSAM application, times it, and lists the key slots
// that accept DIVERSIFY INIT.
func (s *Service) checkPSAM(ctx context.Context, l *checkList, card CardConn) {
	sel := apdu.SelectAID(keys.PSAMAID, apdu.SelectNoData)
	s.checkRTT(ctx, l, "psam", card, sel, "SELECT PSAM")
	x := apdu.NewExchanger(card, apdu.ExchangeOptions{})
	rsp, err := x.Exchange(ctx, sel)
	if err != nil {
		l.fail("psam.keys", "selecting the PSAM application failed: "+err.Error(), "insert the PSAM again", nil).
			variant("select_failed")
		return
	}
	if !rsp.SW.OK() {
		l.fail("psam.keys", fmt.Sprintf("the card is not a permit key card: SELECT %X returned %s (%s)",
			keys.PSAMAID, rsp.SW, rsp.SW.Meaning()), "insert the station's PSAM into the key-card reader", nil).
			variant("not_psam")
		return
	}
	slots, err := s.psamSlots(ctx, x)
	if err != nil {
		l.fail("psam.keys", "probing the key slots failed: "+err.Error(), "insert the PSAM again", nil).
			variant("probe_failed")
		return
	}
	d := map[string]string{"slots": strings.Join(slots, ",")}
	want := fmt.Sprintf("%02X", keys.PSAMKeyIndexCardAuth)
	if !slices.Contains(slots, want) {
		l.fail("psam.keys", "the PSAM has no card-authentication master key in slot "+want,
			"insert the station's production PSAM; this key card cannot open permit cards", d).variant("no_auth_key")
		return
	}
	l.pass("psam.keys", "key slots present: "+strings.Join(slots, ", "), d)
}

// psamSlots sends DIVERSIFY INIT with a zero factor to each key index up to
// Options.PSAMSlots. 9000 means a key is loaded there, 6A88 that none is.
// The derived key stays inside the PSAM and is dropped by the final SELECT.
func (s *Service) psamSlots(ctx context.Context, x *apdu.Exchanger) ([]string, error) {
	var slots []string
	for ki := 1; ki <= s.opts.PSAMSlots; ki++ {
		rsp, err := x.Exchange(ctx, keys.PSAMDiversifyInit(byte(ki), make([]byte, keys.FactorSize)))
		if err != nil {
			return nil, err
		}
		if rsp.SW.OK() {
			slots = append(slots, fmt.Sprintf("%02X", ki))
		}
	}
	_, err := x.Exchange(ctx, apdu.SelectAID(keys.PSAMAID, apdu.SelectNoData))
	return slots, err
}
