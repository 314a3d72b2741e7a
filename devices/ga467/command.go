package ga467

import "fmt"

// Command is a GA 467 command code and parameter byte.
type Command struct {
	Code  byte
	Param byte
}

// Commands used by the driver and the emulator.
var (
	CmdReset          = Command{0x10, 0xFF} // reset the SAM (复位)
	CmdStatus         = Command{0x11, 0xFF} // SAM self-check (状态检测)
	CmdSAMID          = Command{0x12, 0xFF} // read the SAM management number
	CmdFind           = Command{0x20, 0x01} // find a card in the field (寻找身份证)
	CmdSelect         = Command{0x20, 0x02} // select the card found (选取身份证)
	CmdReadBasic      = Command{0x30, 0x01} // read text and photo (读基本信息)
	CmdReadNewAddress = Command{0x30, 0x03} // read the latest appended address
	CmdReadWithFinger = Command{0x30, 0x10} // read text, photo and fingerprint
)

var commandNames = map[Command]string{
	CmdReset: "reset", CmdStatus: "status", CmdSAMID: "read SAM id", CmdFind: "find card",
	CmdSelect: "select card", CmdReadBasic: "read text and photo",
	CmdReadNewAddress: "read appended address", CmdReadWithFinger: "read text, photo and fingerprint",
}

// String returns the command's name, or its two bytes in hexadecimal.
func (c Command) String() string {
	if n, ok := commandNames[c]; ok {
		return n
	}
	return fmt.Sprintf("command %02X %02X", c.Code, c.Param)
}

// EncodeCommand builds a host-to-reader frame.
func EncodeCommand(c Command, data []byte) []byte {
	return encode(append([]byte{c.Code, c.Param}, data...))
}

// ParseCommand checks a host-to-reader frame and returns its command and data.
func ParseCommand(f []byte) (Command, []byte, error) {
	body, err := Split(f)
	if err != nil {
		return Command{}, nil, err
	}
	if len(body) < 2 {
		return Command{}, nil, &FrameError{Err: ErrLength, Frame: f,
			Msg: fmt.Sprintf("a command needs CMD and PARA, LEN %d has %d body bytes", len(body)+1, len(body))}
	}
	return Command{body[0], body[1]}, body[2:], nil
}

// Response is a decoded reader-to-host frame.
type Response struct {
	Status Status
	Data   []byte
}

// EncodeResponse builds a reader-to-host frame.
func EncodeResponse(s Status, data []byte) []byte {
	return encode(append([]byte{s.SW1, s.SW2, s.SW3}, data...))
}

// ParseResponse checks a reader-to-host frame and returns its status and
// data. A status other than success is not an error here; see Status.Err.
func ParseResponse(f []byte) (Response, error) {
	body, err := Split(f)
	if err != nil {
		return Response{}, err
	}
	if len(body) < 3 {
		return Response{}, &FrameError{Err: ErrLength, Frame: f,
			Msg: fmt.Sprintf("a response needs SW1 SW2 SW3, LEN %d has %d body bytes", len(body)+1, len(body))}
	}
	return Response{Status: Status{body[0], body[1], body[2]}, Data: body[3:]}, nil
}
