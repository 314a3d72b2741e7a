package permitcard_test

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"permitdesk/devices"
	"permitdesk/devices/apdu"
	"permitdesk/devices/permitcard"
	simcard "permitdesk/devices/sim/card"
)

type rigMaker func(testing.TB, simcard.Options, permitcard.Options) rig

var transports = []struct {
	name string
	make rigMaker
}{
	{"direct", newDirectRig},
	{"pcsc", newPCSCRig},
}

func TestPersonaliseReadBack(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr.name, func(t *testing.T) {
			r := tr.make(t, simcard.Options{}, permitcard.Options{})
			serial := r.insertBlank(t)
			d := sampleData(t)
			got, err := r.enc.Personalise(testCtx(t), d)
			if err != nil {
				t.Fatal(err)
			}
			if got != serial {
				t.Fatalf("Personalise returned serial %s, card is %s", got, serial)
			}
			c, err := r.enc.Read(testCtx(t), permitcard.ReadOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if c.State != permitcard.StatePersonalised {
				t.Fatalf("state %s, want personalised", c.State)
			}
			if c.Sequence != 1 {
				t.Fatalf("sequence %d, want 1", c.Sequence)
			}
			equalData(t, d, c.Data)
			if err := permitcard.VerifySeal(c.Data, map[string]ed25519.PublicKey{"test-seal-1": sealKey.Public().(ed25519.PublicKey)}); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestPersonaliseRejectsIssuedCard(t *testing.T) {
	r := newDirectRig(t, simcard.Options{}, permitcard.Options{})
	r.insertBlank(t)
	d := sampleData(t)
	if _, err := r.enc.Personalise(testCtx(t), d); err != nil {
		t.Fatal(err)
	}
	_, err := r.enc.Personalise(testCtx(t), d)
	if !errors.Is(err, permitcard.ErrNotBlank) {
		t.Fatalf("second Personalise: %v, want ErrNotBlank", err)
	}
}

func TestReadBlankCard(t *testing.T) {
	r := newDirectRig(t, simcard.Options{}, permitcard.Options{})
	serial := r.insertBlank(t)
	c, err := r.enc.Read(testCtx(t), permitcard.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if c.State != permitcard.StateBlank || c.Serial != serial {
		t.Fatalf("read %s %s, want blank %s", c.State, c.Serial, serial)
	}
}

func TestUpdateAddressKeepsHistory(t *testing.T) {
	r := newDirectRig(t, simcard.Options{}, permitcard.Options{})
	serial := r.insertBlank(t)
	d := sampleData(t)
	if _, err := r.enc.Personalise(testCtx(t), d); err != nil {
		t.Fatal(err)
	}
	next := permitcard.Address{HouseCode: "4403040020045600302", District: "福田区", Street: "华富街道",
		Community: "莲花一村社区", Detail: "彩田路2008号2栋501"}
	day := time.Date(2027, 5, 1, 0, 0, 0, 0, time.UTC)
	seq, err := r.enc.UpdateAddress(testCtx(t), serial, next, day)
	if err != nil {
		t.Fatal(err)
	}
	if seq != 2 {
		t.Fatalf("sequence %d, want 2", seq)
	}
	c, err := r.enc.Read(testCtx(t), permitcard.ReadOptions{SkipPhoto: true})
	if err != nil {
		t.Fatal(err)
	}
	if c.Data.Address != next {
		t.Fatalf("address %+v, want %+v", c.Data.Address, next)
	}
	if len(c.History) != 1 {
		t.Fatalf("history has %d entries, want 1", len(c.History))
	}
	if h := c.History[0]; h.Address != d.Address || h.Sequence != 1 || !h.ChangedOn.Equal(day) {
		t.Fatalf("history entry %+v, want old address with sequence 1 on %s", h, day)
	}
}

func TestUpdateAddressWrongCard(t *testing.T) {
	r := newDirectRig(t, simcard.Options{}, permitcard.Options{})
	r.insertBlank(t)
	if _, err := r.enc.Personalise(testCtx(t), sampleData(t)); err != nil {
		t.Fatal(err)
	}
	other := permitcard.Serial{1, 2, 3, 4, 5, 6, 7, 8}
	_, err := r.enc.UpdateAddress(testCtx(t), other, permitcard.Address{HouseCode: "1"}, time.Now())
	if !errors.Is(err, devices.ErrWrongCard) {
		t.Fatalf("UpdateAddress on another card: %v, want ErrWrongCard", err)
	}
}

func TestWrongMasterKeyLocksCard(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr.name, func(t *testing.T) {
			r := tr.make(t, simcard.Options{MaxTries: 3}, permitcard.Options{Keys: loadKey(t, "wrong-master.key")})
			r.insertBlank(t)
			d := sampleData(t)
			for left := 2; left >= 1; left-- {
				_, err := r.enc.Personalise(testCtx(t), d)
				if !errors.Is(err, permitcard.ErrAuthFailed) {
					t.Fatalf("Personalise with wrong key: %v, want ErrAuthFailed", err)
				}
				if want := fmt.Sprintf("%d tries left", left); !strings.Contains(err.Error(), want) {
					t.Fatalf("error %q does not say %q", err, want)
				}
			}
			_, err := r.enc.Personalise(testCtx(t), d)
			if !errors.Is(err, permitcard.ErrKeyLocked) || !strings.Contains(err.Error(), "locked") {
				t.Fatalf("third failure: %v, want ErrKeyLocked saying locked", err)
			}
			good, err := permitcard.New(permitcard.Options{Reader: r.reader, Keys: loadKey(t, "dev-master.key")})
			if err != nil {
				t.Fatal(err)
			}
			_, err = good.Personalise(testCtx(t), d)
			if !errors.Is(err, permitcard.ErrKeyLocked) || !strings.Contains(err.Error(), "6983") {
				t.Fatalf("right key on a locked card: %v, want ErrKeyLocked with 6983", err)
			}
			c, err := good.Read(testCtx(t), permitcard.ReadOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if c.State != permitcard.StateBlank {
				t.Fatalf("locked card state %s, want blank (nothing written)", c.State)
			}
		})
	}
}

func TestExtendedAPDUsWriteEachFileOnce(t *testing.T) {
	short := newDirectRig(t, simcard.Options{}, permitcard.Options{})
	short.insertBlank(t)
	d := sampleData(t)
	if _, err := short.enc.Personalise(testCtx(t), d); err != nil {
		t.Fatal(err)
	}
	ext := newDirectRig(t, simcard.Options{}, permitcard.Options{Extended: true})
	ext.insertBlank(t)
	if _, err := ext.enc.Personalise(testCtx(t), d); err != nil {
		t.Fatal(err)
	}
	c, err := ext.enc.Read(testCtx(t), permitcard.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	equalData(t, d, c.Data)
	if s, e := short.enc.Traffic().APDUs, ext.sim.Stats().APDUs; e >= s {
		t.Fatalf("extended personalisation and read took %d APDUs, short personalisation alone %d", e, s)
	}
}

func TestPersonaliseLeavesCardLocked(t *testing.T) {
	r := newDirectRig(t, simcard.Options{}, permitcard.Options{})
	r.insertBlank(t)
	if _, err := r.enc.Personalise(testCtx(t), sampleData(t)); err != nil {
		t.Fatal(err)
	}
	c, err := r.reader.ConnectCard(testCtx(t))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	x := apdu.NewExchanger(c, apdu.ExchangeOptions{})
	if _, err := x.Run(testCtx(t), apdu.SelectAID(permitcard.AID, apdu.SelectNoData)); err != nil {
		t.Fatal(err)
	}
	_, err = x.Run(testCtx(t), apdu.UpdateBinarySFI(2, 0, []byte{0xE1, 0x00}))
	var se *apdu.StatusError
	if !errors.As(err, &se) || se.SW != apdu.SWSecurityStatus {
		t.Fatalf("write on the next connection after Personalise: %v, want 6982", err)
	}
}
