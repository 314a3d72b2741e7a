package diag

import (
	"regexp"
	"strings"

	"permitdesk/app/logging"
)

// pemPrivateKey matches a PEM private key block of any type, also when a
// JSON log line carries its newlines as \n.
var pemPrivateKey = regexp.MustCompile(`-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z0-9 ]*PRIVATE KEY-----`)

// Redaction thresholds: a 2-key 3DES key is 16 bytes, and a resident
// identity number (GB 11643) is 17 digits and a check character.
const (
	minHexBytes = 16
	idLength    = 18
)

// Redact removes secrets and identity numbers from text. PEM private keys
// and runs of 16 or more hexadecimal bytes (keys and cryptograms, but also
// hashes), packed with an optional 0x or separated by single spaces or
// colons, are replaced by a marker. 18-character ID numbers standing as a word of their own are
// masked as logging.MaskID does.
//
// NOTE: a key written in another form (base64, or split across lines) is
// not recognised; nothing in permitdesk logs keys in any form.
func Redact(s string) string {
	if strings.Contains(s, "PRIVATE KEY-----") {
		s = pemPrivateKey.ReplaceAllString(s, "[private key removed]")
	}
	var out strings.Builder
	out.Grow(len(s))
	for i := 0; i < len(s); {
		if !isWordByte(s[i]) {
			out.WriteByte(s[i])
			i++
			continue
		}
		end := wordEnd(s, i)
		if spaced := hexBytesEnd(s, i); spaced > 0 {
			out.WriteString("[hex removed]")
			i = spaced
			continue
		}
		out.WriteString(redactWord(s[i:end]))
		i = end
	}
	return out.String()
}

// redactWord masks an ID number and removes a long hexadecimal word.
func redactWord(w string) string {
	switch {
	case len(w) >= 2*minHexBytes && allHex(strings.TrimPrefix(strings.TrimPrefix(w, "0x"), "0X")):
		return "[hex removed]"
	case len(w) == idLength && allDigits(w[:idLength-1]) && strings.ContainsRune("0123456789Xx", rune(w[idLength-1])):
		return logging.MaskID(w)
	}
	return w
}

// hexBytesEnd returns the end of a run of at least minHexBytes two-digit
// hexadecimal words separated by one space or colon starting at i, or 0.
func hexBytesEnd(s string, i int) int {
	n, end := 0, i
	for {
		if wordEnd(s, end) != end+2 || !allHex(s[end:end+2]) {
			break
		}
		n++
		next := end + 2
		if n >= minHexBytes && (next >= len(s) || (s[next] != ' ' && s[next] != ':') ||
			wordEnd(s, next+1) != next+3 || !allHex(s[next+1:next+3])) {
			return next
		}
		if next >= len(s) || (s[next] != ' ' && s[next] != ':') {
			break
		}
		end = next + 1
	}
	return 0
}

// wordEnd returns the end of the word (letters, digits, underscore) at i.
func wordEnd(s string, i int) int {
	for i < len(s) && isWordByte(s[i]) {
		i++
	}
	return i
}

func isWordByte(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_'
}

func allHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
