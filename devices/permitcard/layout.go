// Package permitcard defines the residence-permit card's file layout, its
// Go representation and codec, and the encoding service that personalises,
// reads and updates cards through an apdu.CardReader.
//
// The layout is defined by permitdesk (no public layout exists) and is
// documented in docs/card-layout.md: an ISO/IEC 7816-4 file system with a
// proprietary DF under the MF, BER-TLV content in GB18030 text, a commit
// marker in the address file that is written last, and an Ed25519 issuance
// seal. Reads need no key; writes need EXTERNAL AUTHENTICATE with the card
// key that package keys derives from the card serial.
//
// Limits: cards are delivered pre-formatted (files created and the card key
// loaded at manufacture), so the service never creates or erases files.
// Secure messaging is not used; a write's integrity is checked by reading
// it back.
package permitcard

// Fixed identifiers of the permit application.
var (
	// AID is the DF name of the permit application: F0 then "PERMIT" then
	// version 01.
	AID = []byte{0xF0, 0x50, 0x45, 0x52, 0x4D, 0x49, 0x54, 0x01}
)

// File identifiers.
const (
	FIDMF       uint16 = 0x3F00
	FIDDF       uint16 = 0x1001
	FIDCardInfo uint16 = 0x0101
	FIDHolder   uint16 = 0x0102
	FIDPermit   uint16 = 0x0103
	FIDAddress  uint16 = 0x0104
	FIDHistory  uint16 = 0x0105
	FIDPhoto    uint16 = 0x0106
	FIDSeal     uint16 = 0x0107
)

// KeyID is the key reference of the card's external-authentication key.
const KeyID byte = 0x01

// LayoutVersion is written in EF.CARDINFO.
const LayoutVersion = 1

// FileKind is the structure of an EF.
type FileKind int

// File structures.
const (
	Transparent FileKind = iota + 1
	Cyclic
)

// Access is the condition a command must meet on a file.
type Access int

// Access conditions.
const (
	Free  Access = iota + 1 // always allowed
	Auth                    // after EXTERNAL AUTHENTICATE with KeyID
	Never                   // never allowed
)

// FileSpec describes one EF of the layout.
type FileSpec struct {
	Name       string
	FID        uint16
	SFI        byte
	Kind       FileKind
	Size       int // transparent: bytes
	RecordSize int // cyclic: bytes per record
	Records    int // cyclic: number of records
	Read       Access
	Write      Access
}

// Sizes of the layout, in bytes.
const (
	CardInfoSize      = 32
	HolderSize        = 512
	PermitSize        = 256
	AddressSize       = 256
	HistoryRecordSize = 224
	HistoryRecords    = 10
	PhotoSize         = 16392 // TLV header plus a JPEG of up to MaxPhoto bytes
	SealSize          = 128
	MaxPhoto          = 16384
	MarkerSize        = 12 // commit marker at offset 0 of EF.ADDRESS
)

// Files lists the EFs of the permit DF in personalisation order.
var Files = []FileSpec{
	{Name: "cardinfo", FID: FIDCardInfo, SFI: 1, Kind: Transparent, Size: CardInfoSize, Read: Free, Write: Never},
	{Name: "holder", FID: FIDHolder, SFI: 2, Kind: Transparent, Size: HolderSize, Read: Free, Write: Auth},
	{Name: "permit", FID: FIDPermit, SFI: 3, Kind: Transparent, Size: PermitSize, Read: Free, Write: Auth},
	{Name: "address", FID: FIDAddress, SFI: 4, Kind: Transparent, Size: AddressSize, Read: Free, Write: Auth},
	{Name: "history", FID: FIDHistory, SFI: 5, Kind: Cyclic, RecordSize: HistoryRecordSize,
		Records: HistoryRecords, Read: Free, Write: Auth},
	{Name: "photo", FID: FIDPhoto, SFI: 6, Kind: Transparent, Size: PhotoSize, Read: Free, Write: Auth},
	{Name: "seal", FID: FIDSeal, SFI: 7, Kind: Transparent, Size: SealSize, Read: Free, Write: Auth},
}

// Spec returns the FileSpec for fid.
func Spec(fid uint16) (FileSpec, bool) {
	for _, f := range Files {
		if f.FID == fid {
			return f, true
		}
	}
	return FileSpec{}, false
}

// BER-TLV tags of the layout. Templates are private-class constructed tags;
// fields inside a template use context-specific tags 80, 81, ...
const (
	TagCardInfo   uint32 = 0xE0
	TagHolder     uint32 = 0xE1
	TagPermit     uint32 = 0xE2
	TagAddress    uint32 = 0xE3
	TagHistory    uint32 = 0xE4
	TagSeal       uint32 = 0xE7
	TagPhoto      uint32 = 0x5F2E
	TagMarker     byte   = 0xCF
	TagSerial     uint32 = 0xC0 // inside TagCardInfo
	TagLayoutVers uint32 = 0xC1 // inside TagCardInfo
)
