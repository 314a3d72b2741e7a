package evolis

import (
	"fmt"
	"strings"

	"permitdesk/devices"
)

// Operator-facing codes of printer failures. The UI translates them with
// Message; the zero devices.Code means the cause is unknown.
const (
	CodeCoverOpen      devices.Code = "printer.cover_open"
	CodeFeederEmpty    devices.Code = "printer.feeder_empty"
	CodeCardJam        devices.Code = "printer.card_jam"
	CodeRibbonMissing  devices.Code = "printer.ribbon_missing"
	CodeRibbonOut      devices.Code = "printer.ribbon_out"
	CodeCleaning       devices.Code = "printer.cleaning_needed"
	CodeBusy           devices.Code = "printer.busy"
	CodeUnknownCommand devices.Code = "printer.unknown_command"
	CodeBadParameter   devices.Code = "printer.bad_parameter"
	CodeMechanical     devices.Code = "printer.mechanical"
	CodeHopperFull     devices.Code = "printer.hopper_full"
	CodeHead           devices.Code = "printer.head"
	CodeNoCard         devices.Code = "printer.no_card"
	CodeTimeout        devices.Code = "printer.timeout"
	CodeOffline        devices.Code = "printer.offline"
	CodeUnconfirmed    devices.Code = "printer.unconfirmed"
	CodeFailed         devices.Code = "printer.failed"
	CodeOutOfStep      devices.Code = "printer.out_of_step"
)

type message struct{ zh, en string }

var messages = map[devices.Code]message{
	CodeCoverOpen:      {"打印机盖未关闭，请关好机盖后重试。", "The printer cover is open. Close it and retry."},
	CodeFeederEmpty:    {"进卡盒无卡，请放入空白卡后重试。", "The card feeder is empty. Load blank cards and retry."},
	CodeCardJam:        {"卡片卡住，请打开机盖取出卡片，作为废卡登记。", "A card is jammed. Open the cover, remove the card and record it as spoiled."},
	CodeRibbonMissing:  {"未安装色带，请安装黑色色带。", "No ribbon is fitted. Fit a black ribbon."},
	CodeRibbonOut:      {"色带已用完，请更换色带。", "The ribbon has run out. Replace it."},
	CodeCleaning:       {"打印机需要清洁，请运行清洁卡。", "The printer needs cleaning. Run a cleaning card."},
	CodeBusy:           {"打印机忙，请稍后重试。", "The printer is busy. Retry in a moment."},
	CodeUnknownCommand: {"打印机不支持该命令，请检查打印机型号与固件。", "The printer rejected the command as unknown. Check the model and firmware."},
	CodeBadParameter:   {"打印机拒绝了命令参数。", "The printer rejected a command parameter."},
	CodeMechanical:     {"打印机机械故障，请检查卡片通道。", "Mechanical fault in the printer. Check the card path."},
	CodeHopperFull:     {"出卡盒已满，请取走卡片。", "The output hopper is full. Empty it."},
	CodeHead:           {"打印头故障，请联系维修。", "Print head fault. Call service."},
	CodeNoCard:         {"打印机内没有卡片。", "There is no card in the printer."},
	CodeTimeout:        {"打印机无响应，请检查电源和连接线。", "The printer did not reply. Check its power and cable."},
	CodeOffline:        {"打印机未连接，请检查电源和连接线。", "The printer is not connected. Check its power and cable."},
	CodeUnconfirmed:    {"无法确认打印结果，请勿重印，等待状态确认。", "The print outcome is unconfirmed. Do not reprint until it is settled."},
	CodeFailed:         {"打印机报告错误。", "The printer reported an error."},
	CodeOutOfStep:      {"与打印机的通信不同步，卡片没有故障，重试是安全的。", "The printer link was out of step. The card is not at fault, and a retry is safe."},
}

// Message returns the operator text for code in lang ("zh-CN" or "en"); other
// languages get English. An unknown code gets the generic failure text.
func Message(code devices.Code, lang string) string {
	m, ok := messages[code]
	if !ok {
		m = messages[CodeFailed]
	}
	if strings.HasPrefix(lang, "zh") {
		return m.zh
	}
	return m.en
}

// errorCodes maps the printer's error texts (Evolis VB SDK CPrinter table and
// Rev E) to codes. Longer keys are tried first so "ERROR CDE" wins over
// "ERROR".
var errorCodes = []struct {
	text string
	code devices.Code
}{
	{"COVER OPEN", CodeCoverOpen},
	{"FEEDER EMPTY", CodeFeederEmpty},
	{"CARD JAM", CodeCardJam},
	{"NO RIBBON", CodeRibbonMissing},
	{"RIBBON MISSING", CodeRibbonMissing},
	{"RIBBON", CodeRibbonOut},
	{"NEED CLEANING", CodeCleaning},
	{"BUSY", CodeBusy},
	{"ERROR CDE", CodeUnknownCommand},
	{"PARAMETRES", CodeBadParameter},
	{"TIME OUT", CodeMechanical},
	{"HOPPER FULL", CodeHopperFull},
	{"HEAD", CodeHead},
	{"NO CARD", CodeNoCard},
	{"ERR CARD", CodeNoCard},
}

// CodeForText classifies an error reply text.
func CodeForText(text string) devices.Code {
	up := strings.ToUpper(text)
	for _, e := range errorCodes {
		if strings.Contains(up, e.text) {
			return e.code
		}
	}
	return CodeFailed
}

// nackCodes maps the NACK code characters (Rev E section 5).
var nackCodes = map[string]devices.Code{
	"1": CodeUnknownCommand,
	"2": CodeBadParameter,
	"T": CodeMechanical,
	"C": CodeCoverOpen,
	"F": CodeFeederEmpty,
	"R": CodeRibbonOut,
}

// CodeForNack classifies a NACK code character.
func CodeForNack(c string) devices.Code {
	if code, ok := nackCodes[c]; ok {
		return code
	}
	return CodeFailed
}

// NackFor returns the NACK code character for code, or "T" when none fits.
func NackFor(code devices.Code) string {
	for k, v := range nackCodes {
		if v == code {
			return k
		}
	}
	return "T"
}

// PrinterError is a printer's error reply turned into an error. It is
// wrapped in a *devices.Error whose Code is Code.
type PrinterError struct {
	Reply string
	Code  devices.Code
}

func (e *PrinterError) Error() string {
	return fmt.Sprintf("printer replied %q (%s)", e.Reply, Message(e.Code, "en"))
}

// Is makes errors.Is(err, devices.ErrBusy) hold for a busy reply.
func (e *PrinterError) Is(target error) bool {
	return target == devices.ErrBusy && e.Code == CodeBusy
}
