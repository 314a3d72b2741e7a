// Package cardface renders residence-permit card faces and the rewritable
// address strip from templates: Chinese text from a configured CJK font
// (golang.org/x/image/font/opentype), the holder's photo dithered to one bit
// (Floyd-Steinberg), and the permit number as a QR code or Code 128 barcode.
// Output is a black-and-white image that packs into the card printer's K
// panel (648 dots x 1016 lines at 300 dpi) or the rewriter's image lines.
//
// Text that is too long for its box wraps up to the field's MaxLines and
// shrinks down to MinSize; text that still does not fit is an error, never
// clipped or drawn outside its box. A character that the font cannot draw is
// an error too, so a card never carries a placeholder glyph.
package cardface

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"log/slog"
	"sync"

	"permitdesk/app/permit"
	"permitdesk/devices/evolis"
)

// Options configures a Renderer.
type Options struct {
	// FontFile is a TrueType or OpenType font (or collection) with Chinese
	// glyphs; empty means the first of DefaultFontPaths that exists.
	FontFile string
	// TemplateDir holds SET-front.json, SET-back.json and strip.json; empty
	// means the built-in templates.
	TemplateDir string
	// Set is the template set; empty means "production" (data only, for
	// pre-printed stock).
	Set string
	// Logger receives font and template choices; nil discards them.
	Logger *slog.Logger
}

// Renderer draws card sides. It is safe for concurrent use.
type Renderer struct {
	mu        sync.Mutex
	fonts     *fontSet
	templates map[Side]*Template
}

// New loads the font and the templates of the chosen set.
func New(opts Options) (*Renderer, error) {
	if opts.Set == "" {
		opts.Set = "production"
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	fonts, err := loadFonts(opts.FontFile)
	if err != nil {
		return nil, err
	}
	r := &Renderer{fonts: fonts, templates: map[Side]*Template{}}
	for _, side := range []Side{Front, Back, Strip} {
		t, err := LoadTemplate(opts.TemplateDir, opts.Set, side)
		if err != nil {
			return nil, err
		}
		r.templates[side] = t
	}
	opts.Logger.Info("card renderer ready", "font", fonts.names[0], "template_set", opts.Set)
	return r, nil
}

// FieldError is a field that cannot be drawn, with the reason an operator
// or template author can act on.
type FieldError struct {
	Side   Side
	Field  string
	Reason string
}

func (e *FieldError) Error() string {
	return fmt.Sprintf("card %s, field %s: %s", e.Side, e.Field, e.Reason)
}

// Render draws one side of p as a black-and-white image the size of the
// side's template.
func (r *Renderer) Render(p permit.Permit, side Side) (*image.Gray, error) {
	t, ok := r.templates[side]
	if !ok {
		return nil, fmt.Errorf("unknown card side %q: want front, back or strip", side)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	img := image.NewGray(image.Rect(0, 0, t.Width, t.Height))
	draw.Draw(img, img.Bounds(), image.White, image.Point{}, draw.Src)
	for i := range t.Fields {
		if err := r.drawField(img, side, &t.Fields[i], p); err != nil {
			return nil, err
		}
	}
	threshold(img)
	return img, nil
}

func (r *Renderer) drawField(img *image.Gray, side Side, f *Field, p permit.Permit) error {
	box := image.Rect(f.X, f.Y, f.X+f.W, f.Y+f.H)
	dst := img.SubImage(box).(*image.Gray)
	switch f.Kind {
	case KindRect:
		drawFrame(dst, f.Line)
		return nil
	case KindPhoto:
		if len(p.Photo) == 0 {
			return nil
		}
		if err := drawPhoto(dst, p.Photo); err != nil {
			return &FieldError{side, f.Name, err.Error()}
		}
		return nil
	}
	text, err := f.value(p)
	if err != nil {
		return &FieldError{side, f.Name, err.Error()}
	}
	if text == "" {
		return nil
	}
	switch f.Kind {
	case KindQR, KindBarcode:
		if err := drawCode(dst, f.Kind, text); err != nil {
			return &FieldError{side, f.Name, err.Error()}
		}
		return nil
	}
	return r.drawText(dst, side, f, text)
}

// Preview renders one side as PNG bytes for the UI.
func (r *Renderer) Preview(p permit.Permit, side Side) ([]byte, error) {
	img, err := r.Render(p, side)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		return nil, fmt.Errorf("encode preview: %w", err)
	}
	return b.Bytes(), nil
}

// Faces renders both sides and packs them into K panels for the printer.
func (r *Renderer) Faces(p permit.Permit) (front, back evolis.Face, err error) {
	for _, s := range []struct {
		side Side
		dst  *evolis.Face
	}{{Front, &front}, {Back, &back}} {
		img, err := r.Render(p, s.side)
		if err != nil {
			return nil, nil, err
		}
		panel, err := evolis.PackPanel(img)
		if err != nil {
			return nil, nil, fmt.Errorf("pack %s panel: %w", s.side, err)
		}
		*s.dst = panel
	}
	return front, back, nil
}

// threshold turns grey into black or white at 50%, as the printer will.
func threshold(img *image.Gray) {
	for i, v := range img.Pix {
		if v < 128 {
			img.Pix[i] = 0
		} else {
			img.Pix[i] = 0xFF
		}
	}
}

func drawFrame(dst *image.Gray, line int) {
	b := dst.Bounds()
	black := image.NewUniform(color.Black)
	for _, r := range []image.Rectangle{
		image.Rect(b.Min.X, b.Min.Y, b.Max.X, b.Min.Y+line),
		image.Rect(b.Min.X, b.Max.Y-line, b.Max.X, b.Max.Y),
		image.Rect(b.Min.X, b.Min.Y, b.Min.X+line, b.Max.Y),
		image.Rect(b.Max.X-line, b.Min.Y, b.Max.X, b.Max.Y),
	} {
		draw.Draw(dst, r, black, image.Point{}, draw.Src)
	}
}
