package cardface

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"golang.org/x/image/font"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/font/sfnt"
	"golang.org/x/image/math/fixed"
)

// DefaultFontPaths are tried in order when no font file is configured: the
// Debian packages fonts-noto-cjk and fonts-wqy-microhei.
var DefaultFontPaths = []string{
	"/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
	"/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
	"/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
}

// ErrFontMissing is wrapped when no usable font file is found.
var ErrFontMissing = errors.New("card font not found")

// fontSet is the card font: one or more faces tried in order for each
// character, with sized faces cached.
type fontSet struct {
	fonts []*sfnt.Font
	names []string
	faces map[faceKey]font.Face
	buf   sfnt.Buffer
}

type faceKey struct {
	font int
	size float64
}

// loadFonts opens the configured font file, or the first default path that
// exists. In a collection (.ttc) the Simplified Chinese face is chosen.
func loadFonts(path string) (*fontSet, error) {
	paths := []string{path}
	if path == "" {
		paths = DefaultFontPaths
	}
	var tried []string
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			tried = append(tried, p)
			continue
		}
		f, name, err := pickFace(b)
		if err != nil {
			return nil, fmt.Errorf("card font %s: %w", p, err)
		}
		return &fontSet{fonts: []*sfnt.Font{f}, names: []string{name}, faces: map[faceKey]font.Face{}}, nil
	}
	return nil, fmt.Errorf("%w: tried %s; install fonts-noto-cjk or set printing.font_file "+
		"to a TrueType or OpenType font with Chinese glyphs", ErrFontMissing, strings.Join(tried, ", "))
}

// pickFace returns the face named "... SC" in a collection, else the first.
func pickFace(b []byte) (*sfnt.Font, string, error) {
	coll, err := opentype.ParseCollection(b)
	if err != nil {
		return nil, "", err
	}
	var first *sfnt.Font
	var firstName string
	var buf sfnt.Buffer
	for i := 0; i < coll.NumFonts(); i++ {
		f, err := coll.Font(i)
		if err != nil {
			continue
		}
		name, _ := f.Name(&buf, sfnt.NameIDFull)
		if first == nil {
			first, firstName = f, name
		}
		if strings.HasSuffix(name, " SC") {
			return f, name, nil
		}
	}
	if first == nil {
		return nil, "", errors.New("no readable face in the font file")
	}
	return first, firstName, nil
}

// face returns font i at size dots.
func (fs *fontSet) face(i int, size float64) (font.Face, error) {
	k := faceKey{i, size}
	if f, ok := fs.faces[k]; ok {
		return f, nil
	}
	f, err := opentype.NewFace(fs.fonts[i], &opentype.FaceOptions{Size: size, DPI: 72, Hinting: font.HintingNone})
	if err != nil {
		return nil, err
	}
	fs.faces[k] = f
	return f, nil
}

// fontFor returns the index of the first font with a glyph for r, or -1.
func (fs *fontSet) fontFor(r rune) int {
	for i, f := range fs.fonts {
		if g, err := f.GlyphIndex(&fs.buf, r); err == nil && g != 0 {
			return i
		}
	}
	return -1
}

// missing returns the first character of s no font can draw.
func (fs *fontSet) missing(s string) (rune, bool) {
	for _, r := range s {
		if r == ' ' || r == '\n' {
			continue
		}
		if fs.fontFor(r) < 0 {
			return r, true
		}
	}
	return 0, false
}

// advance measures s at size.
func (fs *fontSet) advance(s string, size float64) (fixed.Int26_6, error) {
	var w fixed.Int26_6
	for _, r := range s {
		i := max(fs.fontFor(r), 0)
		f, err := fs.face(i, size)
		if err != nil {
			return 0, err
		}
		a, _ := f.GlyphAdvance(r)
		w += a
	}
	return w, nil
}
