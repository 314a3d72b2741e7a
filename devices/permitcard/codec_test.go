package permitcard

import (
	"testing"
	"time"
)

func TestAddressTooLongRejected(t *testing.T) {
	long := Address{HouseCode: "1", Detail: repeat("号", 120)}
	if _, err := EncodeAddressFile(long); err == nil {
		t.Fatal("240-byte address accepted")
	}
}

func TestMarkerDetectsTornAddress(t *testing.T) {
	a := Address{HouseCode: "4403", District: "南山区", Detail: "科苑路15号"}
	body, err := EncodeAddressFile(a)
	if err != nil {
		t.Fatal(err)
	}
	file := append(EncodeMarker(3, body), pad(body, AddressSize-MarkerSize)...)
	m, got, _, err := decodeAddressFile(file)
	if err != nil || !m.valid || m.seq != 3 || got != a {
		t.Fatalf("intact file: marker %+v address %+v err %v", m, got, err)
	}
	file[MarkerSize+len(body)-1] ^= 0x01 // change the last byte of the detail
	m, _, _, _ = decodeAddressFile(file)
	if !m.present || m.valid {
		t.Fatalf("changed address: marker %+v, want present and invalid", m)
	}
}

func TestHistoryRoundTrip(t *testing.T) {
	e := HistoryEntry{Sequence: 7, ChangedOn: time.Date(2027, 1, 2, 0, 0, 0, 0, time.UTC),
		Address: Address{HouseCode: "44", District: "福田区", Street: "华富街道"}}
	b, err := EncodeHistory(e)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) != HistoryRecordSize {
		t.Fatalf("record is %d bytes, want %d", len(b), HistoryRecordSize)
	}
	got, ok, err := DecodeHistory(b)
	if err != nil || !ok || got.Sequence != 7 || !got.ChangedOn.Equal(e.ChangedOn) || got.Address != e.Address {
		t.Fatalf("decoded %+v ok %v err %v", got, ok, err)
	}
}

func repeat(s string, n int) string {
	out := ""
	for range n {
		out += s
	}
	return out
}

func FuzzDecodeFiles(f *testing.F) {
	h, _ := EncodeHolder(Holder{Name: "张伟", Sex: "1", IDNumber: "440301199003070012"})
	f.Add(h)
	a, _ := EncodeAddress(Address{HouseCode: "1", District: "南山区"})
	f.Add(append(EncodeMarker(1, a), a...))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = DecodeHolder(b)
		_, _ = DecodePermit(b)
		_, _ = DecodeAddress(b)
		_, _, _ = DecodeHistory(b)
		_, _ = DecodePhoto(b)
		_, _ = DecodeSeal(b)
		_, _, _ = DecodeCardInfo(b)
		_, _, _, _ = decodeAddressFile(pad(b, max(len(b), MarkerSize)))
	})
}
