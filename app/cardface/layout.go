package cardface

import (
	"strings"
	"unicode"

	"golang.org/x/image/math/fixed"
)

// fitText finds the largest size from f.Size down to f.MinSize at which text
// wraps into at most f.MaxLines lines inside the field's box. It returns
// ok=false when even MinSize does not fit.
func (fs *fontSet) fitText(f *Field, text string) (lines []string, size float64, ok bool, err error) {
	for size = f.Size; size >= f.MinSize-0.01; size -= 1 {
		lineHeight := size * lineSpacing
		maxLines := min(f.MaxLines, int(float64(f.H)/lineHeight+0.001))
		if maxLines < 1 && size*1.0 <= float64(f.H) {
			maxLines = 1
		}
		if maxLines < 1 {
			continue
		}
		lines, err = fs.wrap(text, size, fixed.I(f.W))
		if err != nil {
			return nil, 0, false, err
		}
		if len(lines) <= maxLines {
			return lines, size, true, nil
		}
	}
	return nil, 0, false, nil
}

// lineSpacing is the line height as a multiple of the font size.
const lineSpacing = 1.2

// wrap breaks text into lines no wider than width. Chinese characters may
// break anywhere; runs of Latin letters and digits break only at spaces
// unless one run alone is wider than a line.
func (fs *fontSet) wrap(text string, size float64, width fixed.Int26_6) ([]string, error) {
	var lines []string
	var cur strings.Builder
	var curW fixed.Int26_6
	for _, tok := range tokens(text) {
		w, err := fs.advance(tok, size)
		if err != nil {
			return nil, err
		}
		if curW+w <= width {
			cur.WriteString(tok)
			curW += w
			continue
		}
		if cur.Len() > 0 {
			lines = append(lines, strings.TrimRight(cur.String(), " "))
			cur.Reset()
			curW = 0
		}
		tok = strings.TrimLeft(tok, " ")
		if w, _ = fs.advance(tok, size); w <= width {
			cur.WriteString(tok)
			curW = w
			continue
		}
		for _, r := range tok {
			rw, err := fs.advance(string(r), size)
			if err != nil {
				return nil, err
			}
			if curW+rw > width && cur.Len() > 0 {
				lines = append(lines, cur.String())
				cur.Reset()
				curW = 0
			}
			cur.WriteRune(r)
			curW += rw
		}
	}
	if s := strings.TrimRight(cur.String(), " "); s != "" {
		lines = append(lines, s)
	}
	return lines, nil
}

// tokens splits text into unbreakable pieces: one Chinese character, one
// space, or a run of other characters.
func tokens(text string) []string {
	var out []string
	var run strings.Builder
	flush := func() {
		if run.Len() > 0 {
			out = append(out, run.String())
			run.Reset()
		}
	}
	for _, r := range text {
		switch {
		case r == ' ' || unicode.Is(unicode.Han, r) || r > 0x2E80:
			flush()
			out = append(out, string(r))
		default:
			run.WriteRune(r)
		}
	}
	flush()
	return out
}
