package diag

import (
	"regexp"

	"permitdesk/app/logging"
)

var (
	// pemPrivateKey matches a PEM private key block of any type, also when
	// a JSON log line carries its newlines as \n.
	pemPrivateKey = regexp.MustCompile(`-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z0-9 ]*PRIVATE KEY-----`)
	// hexRun matches 16 or more bytes written as hexadecimal, packed or
	// separated by spaces or colons: the length of a 2-key 3DES key.
	hexRun = regexp.MustCompile(`\b[0-9A-Fa-f]{32,}\b|\b(?:[0-9A-Fa-f]{2}[ :]){15,}[0-9A-Fa-f]{2}\b`)
	// idNumber matches an 18-character resident identity number (GB 11643:
	// 17 digits and a check character) standing on its own.
	idNumber = regexp.MustCompile(`\b[0-9]{17}[0-9Xx]\b`)
)

// Redact removes secrets and identity numbers from text: PEM private keys
// and runs of 16 or more hexadecimal bytes (keys, cryptograms, also hashes)
// are replaced by a marker, and 18-character ID numbers are masked as
// logging.MaskID does.
//
// NOTE: a key written in another form (base64, or split across lines) is
// not recognised; nothing in permitdesk logs keys in any form.
func Redact(s string) string {
	s = pemPrivateKey.ReplaceAllString(s, "[private key removed]")
	s = hexRun.ReplaceAllString(s, "[hex removed]")
	return idNumber.ReplaceAllStringFunc(s, logging.MaskID)
}
