package issuance

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/color"
	"os"
	"sync"
	"time"

	"permitdesk/app/permit"
	"permitdesk/devices"
	"permitdesk/devices/permitcard"
)

// fakeCard is a physical card in the fake printer.
type fakeCard struct {
	Serial  string          `json:"serial,omitempty"`
	Chip    *permit.Permit  `json:"chip,omitempty"`
	Seal    permitcard.Seal `json:"seal"`
	Printed bool            `json:"printed"`
}

// machineState is everything physical: it survives a process crash when
// the machine has a path, because every effect is saved atomically.
type machineState struct {
	Feeder     int        `json:"feeder"`
	Station    *fakeCard  `json:"station,omitempty"`
	Hopper     []fakeCard `json:"hopper"`
	Reject     []fakeCard `json:"reject"`
	PrintCount int64      `json:"printCount"`
	NextSerial int        `json:"nextSerial"`
}

// machine is a fake printer with its contactless encoder. Failures are
// injected per operation: before the effect (the device did nothing) or
// after it (the device acted but the reply was lost).
type machine struct {
	mu        sync.Mutex
	path      string
	s         machineState
	before    map[string]error
	after     map[string]error
	block     map[string]bool
	corrupt   bool  // write a wrong holder name to the chip
	notReady  error // returned by Ready until cleared, as a printer fault
	delay     time.Duration
	hook      func(point string)
	calls     map[string]int
	serialTag string
}

func newMachine(feeder int) *machine {
	return &machine{s: machineState{Feeder: feeder}, before: map[string]error{}, after: map[string]error{},
		block: map[string]bool{}, calls: map[string]int{}, serialTag: "E0"}
}

// loadMachine reads a saved machine or creates one with feeder cards.
func loadMachine(path string, feeder int) (*machine, error) {
	m := newMachine(feeder)
	m.path = path
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return m, m.save()
	}
	if err != nil {
		return nil, err
	}
	return m, json.Unmarshal(b, &m.s)
}

func (m *machine) save() error {
	if m.path == "" {
		return nil
	}
	b, err := json.Marshal(m.s)
	if err != nil {
		return err
	}
	tmp := m.path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, m.path)
}

func (m *machine) state() machineState {
	m.mu.Lock()
	defer m.mu.Unlock()
	b, _ := json.Marshal(m.s)
	var c machineState
	json.Unmarshal(b, &c)
	return c
}

// op runs one device operation: injected failure, delay, effect, save,
// hook, injected lost reply.
func (m *machine) op(ctx context.Context, name string, effect func() error) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.calls[name]++
	if m.block[name] {
		delete(m.block, name)
		<-ctx.Done()
		return fmt.Errorf("%s: %w", name, ctx.Err())
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err, ok := m.before[name]; ok {
		delete(m.before, name)
		return err
	}
	if m.delay > 0 {
		time.Sleep(m.delay)
	}
	if err := effect(); err != nil {
		return err
	}
	if err := m.save(); err != nil {
		return err
	}
	if m.hook != nil {
		m.hook("effect:" + name)
	}
	if err, ok := m.after[name]; ok {
		delete(m.after, name)
		return err
	}
	return nil
}

func (m *machine) FeedToContactless(ctx context.Context) error {
	return m.op(ctx, "feed", func() error {
		switch {
		case m.s.Station != nil:
			return devices.Errorf("fake", "feed", "CARD_PRESENT", "a card is already inside")
		case m.s.Feeder == 0:
			return fmt.Errorf("feeder empty: %w", devices.ErrNoCard)
		}
		m.s.Feeder--
		m.s.Station = &fakeCard{}
		return nil
	})
}

func (m *machine) PrintFaces(ctx context.Context, front, back image.Image) error {
	return m.op(ctx, "print", func() error {
		if m.s.Station == nil {
			return fmt.Errorf("print: %w", devices.ErrNoCard)
		}
		m.s.Station.Printed = true
		m.s.PrintCount++
		return nil
	})
}

func (m *machine) eject(ctx context.Context, name string, to *[]fakeCard) error {
	return m.op(ctx, name, func() error {
		if m.s.Station == nil {
			return fmt.Errorf("%s: %w", name, devices.ErrNoCard)
		}
		*to = append(*to, *m.s.Station)
		m.s.Station = nil
		return nil
	})
}

func (m *machine) Eject(ctx context.Context) error { return m.eject(ctx, "eject", &m.s.Hopper) }

func (m *machine) EjectToReject(ctx context.Context) error {
	return m.eject(ctx, "reject", &m.s.Reject)
}

func (m *machine) Status(ctx context.Context) (PrinterStatus, error) {
	var st PrinterStatus
	err := m.op(ctx, "status", func() error {
		st = PrinterStatus{Position: PositionNone, PrintCounter: m.s.PrintCount}
		if m.s.Station != nil {
			st.Position = PositionContactless
		}
		return nil
	})
	return st, err
}

func (m *machine) Ready(ctx context.Context) error {
	return m.op(ctx, "ready", func() error { return m.notReady })
}

// CardAtStation reports the card at the contactless station, which is the
// encoder's reader.
func (m *machine) CardAtStation(ctx context.Context) (string, bool, error) {
	var serial string
	var present bool
	err := m.op(ctx, "probe", func() error {
		if m.s.Station != nil {
			serial, present = m.s.Station.Serial, true
		}
		return nil
	})
	return serial, present, err
}

func (m *machine) Personalise(ctx context.Context, p permit.Permit, seal permitcard.Seal) (string, error) {
	var serial string
	err := m.op(ctx, "personalise", func() error {
		if m.s.Station == nil {
			return fmt.Errorf("personalise: %w", devices.ErrNoCard)
		}
		if m.s.Station.Serial == "" {
			m.s.NextSerial++
			m.s.Station.Serial = fmt.Sprintf("%s%06d", m.serialTag, m.s.NextSerial)
		}
		chip := p
		chip.Photo = nil
		if m.corrupt {
			chip.Holder.Name += "X"
		}
		m.s.Station.Chip, m.s.Station.Seal = &chip, seal
		serial = m.s.Station.Serial
		return nil
	})
	return serial, err
}

func (m *machine) Read(ctx context.Context) (CardContent, error) {
	var c CardContent
	err := m.op(ctx, "read", func() error {
		switch {
		case m.s.Station == nil:
			return fmt.Errorf("read: %w", devices.ErrNoCard)
		case m.s.Station.Chip == nil:
			return fmt.Errorf("read: %w", ErrBlankCard)
		}
		c = CardContent{Serial: m.s.Station.Serial, Permit: *m.s.Station.Chip, Seal: m.s.Station.Seal}
		return nil
	})
	return c, err
}

// fakeFaces draws blank faces, or fails when err is set.
type fakeFaces struct{ err error }

func (f fakeFaces) RenderFaces(ctx context.Context, p permit.Permit) (image.Image, image.Image, error) {
	if f.err != nil {
		return nil, nil, f.err
	}
	img := image.NewGray(image.Rect(0, 0, 8, 5))
	img.Set(0, 0, color.Black)
	return img, img, nil
}

// fakeApps serves applications from a map.
type fakeApps map[string]permit.Application

func (a fakeApps) Application(ctx context.Context, id string) (permit.Application, error) {
	app, ok := a[id]
	if !ok {
		return permit.Application{}, fmt.Errorf("application %q not found", id)
	}
	return app, nil
}

// tableOutbox stores records in a table of the test database, inside the
// step's transaction, and ignores a repeated key as the real outbox must.
type tableOutbox struct{}

const outboxTable = `CREATE TABLE IF NOT EXISTS test_outbox (key TEXT PRIMARY KEY, kind TEXT NOT NULL,
	application_id TEXT NOT NULL, permit_number TEXT NOT NULL, card_serial TEXT NOT NULL, reason TEXT NOT NULL,
	house_code TEXT NOT NULL DEFAULT '')`

func (tableOutbox) Enqueue(ctx context.Context, tx *sql.Tx, r Record) error {
	houseCode := ""
	if r.Address != nil {
		houseCode = r.Address.HouseCode
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO test_outbox VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (key) DO NOTHING`,
		r.Key, r.Kind, r.ApplicationID, r.PermitNumber, r.CardSerial, r.Reason, houseCode)
	return err
}

// fakeRevocations answers from a map of revoked application ids; err, when
// set, is returned for every question.
type fakeRevocations struct {
	revoked map[string]string
	err     error
}

func (f fakeRevocations) Revoked(ctx context.Context, app, number string) (bool, string, error) {
	if f.err != nil {
		return false, "", f.err
	}
	reason, ok := f.revoked[app]
	return ok, reason, nil
}

func testApplication(id string) permit.Application {
	return permit.Application{
		ID: id, StationID: "SZ-FT-01", PermitNumber: "44030" + id,
		Holder: permit.Holder{Name: "张三", Sex: permit.Male, Ethnicity: "汉", IDNumber: "110101199003074514",
			BirthDate: time.Date(1990, 3, 7, 0, 0, 0, 0, time.UTC), HukouAddress: "北京市东城区"},
		Address: permit.Address{HouseCode: "4403040010010100001", District: "福田区", Street: "华富街道",
			Community: "莲花一村社区", Detail: "彩田路1号1栋101"},
		Authority: "深圳市公安局福田分局", ApprovedAt: time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC),
		ValidFrom: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), ValidTo: time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC),
	}
}

func testPermit() permit.Permit {
	return permit.FromApplication(testApplication("LOAD"), time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC))
}
