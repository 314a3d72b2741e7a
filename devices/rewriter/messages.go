package rewriter

import (
	"strings"

	"permitdesk/devices"
)

var messages = map[devices.Code][2]string{
	CodeNoCard:    {"改写器入口无卡，请插入居住证。", "No card at the rewriter inlet. Insert the permit card."},
	CodeCoverOpen: {"改写器盖未关闭，请关好后重试。", "The rewriter cover is open. Close it and retry."},
	CodeJam:       {"卡片卡在改写器中，请取出卡片后重试。", "A card is jammed in the rewriter. Remove it and retry."},
	CodeOverflow:  {"改写器图像缓冲区溢出，请重试。", "The rewriter image buffer overflowed. Retry."},
	CodeRejected:  {"改写器拒绝了命令数据，请检查改写器型号与固件。", "The rewriter rejected the command data. Check its model and firmware."},
	CodeTimeout:   {"改写器无响应，请检查电源和连接线。", "The rewriter did not reply. Check its power and cable."},
	CodeOffline:   {"改写器未连接，请检查电源和连接线。", "The rewriter is not connected. Check its power and cable."},
	CodeFailed:    {"改写器报告错误。", "The rewriter reported an error."},
}

// Message returns the operator text for a rewriter code in lang ("zh-CN" or
// "en"); other languages get English and unknown codes the generic text.
func Message(code devices.Code, lang string) string {
	m, ok := messages[code]
	if !ok {
		m = messages[CodeFailed]
	}
	if strings.HasPrefix(lang, "zh") {
		return m[0]
	}
	return m[1]
}
