package cardface

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	_ "image/jpeg" // holder photos are JPEG
	_ "image/png"

	"github.com/boombuler/barcode"
	"github.com/boombuler/barcode/code128"
	"github.com/boombuler/barcode/qr"
	xdraw "golang.org/x/image/draw"
	"golang.org/x/image/font"
	"golang.org/x/image/math/fixed"
)

// drawText fits text into the field's box and draws it line by line.
func (r *Renderer) drawText(dst *image.Gray, side Side, f *Field, text string) error {
	if c, ok := r.fonts.missing(text); ok {
		return &FieldError{side, f.Name, fmt.Sprintf(
			"font %s has no glyph for %q (U+%04X): set printing.font_file to a font that covers it",
			r.fonts.names[0], c, c)}
	}
	lines, size, ok, err := r.fonts.fitText(f, text)
	if err != nil {
		return &FieldError{side, f.Name, err.Error()}
	}
	if !ok {
		return &FieldError{side, f.Name, fmt.Sprintf(
			"%d characters do not fit in %dx%d dots at %g dots in %d lines: shorten the text or enlarge the field",
			len([]rune(text)), f.W, f.H, f.MinSize, f.MaxLines)}
	}
	b := dst.Bounds()
	for i, line := range lines {
		w, err := r.fonts.advance(line, size)
		if err != nil {
			return err
		}
		x := fixed.I(b.Min.X)
		switch f.Align {
		case "center":
			x += (fixed.I(b.Dx()) - w) / 2
		case "right":
			x += fixed.I(b.Dx()) - w
		}
		baseline := float64(b.Min.Y) + size*(float64(i)*lineSpacing+0.88)
		if err := r.drawLine(dst, line, size, fixed.Point26_6{X: x, Y: fixed.Int26_6(baseline * 64)}); err != nil {
			return err
		}
	}
	return nil
}

// drawLine draws each character with the first font that has it. dst is the
// field's sub-image, so glyph pixels outside the box are clipped.
func (r *Renderer) drawLine(dst *image.Gray, line string, size float64, dot fixed.Point26_6) error {
	for _, c := range line {
		face, err := r.fonts.face(max(r.fonts.fontFor(c), 0), size)
		if err != nil {
			return err
		}
		d := font.Drawer{Dst: dst, Src: image.Black, Face: face, Dot: dot}
		d.DrawString(string(c))
		dot = d.Dot
	}
	return nil
}

// drawPhoto scales the photo to fill the box, keeping its aspect ratio and
// centring it, and dithers it to black and white.
func drawPhoto(dst *image.Gray, data []byte) error {
	src, format, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return fmt.Errorf("photo is not a readable JPEG or PNG: %w", err)
	}
	b, sb := dst.Bounds(), src.Bounds()
	if sb.Dx() == 0 || sb.Dy() == 0 {
		return fmt.Errorf("photo (%s) is empty", format)
	}
	w, h := b.Dx(), sb.Dy()*b.Dx()/sb.Dx()
	if h > b.Dy() {
		w, h = sb.Dx()*b.Dy()/sb.Dy(), b.Dy()
	}
	gray := image.NewGray(image.Rect(0, 0, w, h))
	xdraw.CatmullRom.Scale(gray, gray.Bounds(), src, sb, xdraw.Src, nil)
	dither(gray)
	at := image.Pt(b.Min.X+(b.Dx()-w)/2, b.Min.Y+(b.Dy()-h)/2)
	draw.Draw(dst, image.Rectangle{Min: at, Max: at.Add(gray.Bounds().Size())}, gray, image.Point{}, draw.Src)
	return nil
}

// dither reduces img to black and white with Floyd-Steinberg error
// diffusion (7/16 right, 3/16 down-left, 5/16 down, 1/16 down-right).
func dither(img *image.Gray) {
	w, h := img.Bounds().Dx(), img.Bounds().Dy()
	cur := make([]int, w+2)
	next := make([]int, w+2)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			cur[x+1] += int(img.Pix[y*img.Stride+x]) * 16
		}
		for x := 0; x < w; x++ {
			old := cur[x+1]
			var v int
			if old >= 128*16 {
				v = 255 * 16
			}
			img.Pix[y*img.Stride+x] = uint8(v / 16)
			e := old - v
			cur[x+2] += e * 7 / 16
			next[x] += e * 3 / 16
			next[x+1] += e * 5 / 16
			next[x+2] += e * 1 / 16
		}
		cur, next = next, cur
		clear(next)
	}
}

// drawCode draws text as a QR code or Code 128 barcode, scaled by a whole
// number of dots a module so every module has the same width.
func drawCode(dst *image.Gray, kind, text string) error {
	var code barcode.Barcode
	var err error
	if kind == KindQR {
		code, err = qr.Encode(text, qr.M, qr.Auto)
	} else {
		code, err = code128.Encode(text)
	}
	if err != nil {
		return fmt.Errorf("encode %s: %w", kind, err)
	}
	b, cb := dst.Bounds(), code.Bounds()
	scale := min(b.Dx()/cb.Dx(), b.Dy()/cb.Dy())
	if kind == KindBarcode {
		scale = b.Dx() / cb.Dx()
	}
	if scale < 1 {
		return fmt.Errorf("%s needs %dx%d dots, the field is %dx%d", kind, cb.Dx(), cb.Dy(), b.Dx(), b.Dy())
	}
	w, h := cb.Dx()*scale, cb.Dy()*scale
	if kind == KindBarcode {
		h = b.Dy()
	}
	off := image.Pt(b.Min.X+(b.Dx()-w)/2, b.Min.Y+(b.Dy()-h)/2)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			if dark(code.At(cb.Min.X+x/scale, cb.Min.Y+min(y/scale, cb.Dy()-1))) {
				dst.SetGray(off.X+x, off.Y+y, color.Gray{})
			}
		}
	}
	return nil
}

func dark(c color.Color) bool {
	return color.GrayModel.Convert(c).(color.Gray).Y < 128
}
