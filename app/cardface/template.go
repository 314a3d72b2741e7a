package cardface

import (
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"text/template"
	"time"
)

// Side names a rendered image: the two card faces and the rewritable
// address strip.
type Side string

// Sides.
const (
	Front Side = "front"
	Back  Side = "back"
	Strip Side = "strip"
)

// Field kinds.
const (
	KindText    = "text"    // Text rendered with the card font, wrapped or shrunk to fit
	KindPhoto   = "photo"   // the holder's photo, scaled and dithered to 1 bit
	KindQR      = "qr"      // Text as a QR code (ECC level M)
	KindBarcode = "barcode" // Text as a Code 128 barcode
	KindRect    = "rect"    // a black frame, Line dots thick
)

// Template places the fields of one side. Coordinates are dots at 300 dpi
// from the top-left corner of the landscape card (or strip).
type Template struct {
	Name   string  `json:"name"`
	Width  int     `json:"width"`
	Height int     `json:"height"`
	Fields []Field `json:"fields"`
}

// Field is one element on a side.
type Field struct {
	// Name identifies the field in errors.
	Name string `json:"name"`
	// Kind is one of the Kind constants; empty means text.
	Kind string `json:"kind"`
	// Text is a Go text/template over permit.Permit, with the functions
	// date (2006.01.02) and datecn (2006年01月02日).
	Text string `json:"text"`
	// X, Y, W and H bound the field; nothing is drawn outside the box.
	X int `json:"x"`
	Y int `json:"y"`
	W int `json:"w"`
	H int `json:"h"`
	// Size is the font size in dots; MinSize is the smallest it may shrink
	// to (default Size); MaxLines is how many lines it may wrap to (default 1).
	Size     float64 `json:"size"`
	MinSize  float64 `json:"min_size"`
	MaxLines int     `json:"max_lines"`
	// Align is "left" (default), "center" or "right".
	Align string `json:"align"`
	// Line is the frame thickness of a rect.
	Line int `json:"line"`

	tmpl *template.Template
}

//go:embed templates/*.json
var builtin embed.FS

// TemplateSets are the built-in template sets: "production" prints only the
// variable data on pre-printed stock; "full" also prints the labels, for
// blank stock, previews and test cards.
var TemplateSets = []string{"production", "full"}

var funcs = template.FuncMap{
	"date":   func(t time.Time) string { return t.Format("2006.01.02") },
	"datecn": func(t time.Time) string { return t.Format("2006年01月02日") },
}

// LoadTemplate reads the template for side from dir, or from the built-in
// set when dir is empty. Face templates are named SET-front.json and
// SET-back.json; the strip template is strip.json.
func LoadTemplate(dir, set string, side Side) (*Template, error) {
	name := set + "-" + string(side) + ".json"
	if side == Strip {
		name = "strip.json"
	}
	var b []byte
	var err error
	if dir == "" {
		b, err = fs.ReadFile(builtin, "templates/"+name)
	} else {
		b, err = os.ReadFile(filepath.Join(dir, name))
	}
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("card template %s not found in %s: template sets are %s",
			name, orBuiltin(dir), strings.Join(TemplateSets, ", "))
	}
	if err != nil {
		return nil, fmt.Errorf("read card template: %w", err)
	}
	return ParseTemplate(name, b)
}

func orBuiltin(dir string) string {
	if dir == "" {
		return "the built-in templates"
	}
	return dir
}

// ParseTemplate decodes and checks a template.
func ParseTemplate(name string, b []byte) (*Template, error) {
	var t Template
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&t); err != nil {
		return nil, fmt.Errorf("card template %s: %w", name, err)
	}
	if t.Width <= 0 || t.Height <= 0 {
		return nil, fmt.Errorf("card template %s: width and height must be positive, got %dx%d", name, t.Width, t.Height)
	}
	for i := range t.Fields {
		if err := t.Fields[i].check(&t); err != nil {
			return nil, fmt.Errorf("card template %s: %w", name, err)
		}
	}
	return &t, nil
}

func (f *Field) check(t *Template) error {
	if f.Kind == "" {
		f.Kind = KindText
	}
	if f.X < 0 || f.Y < 0 || f.W <= 0 || f.H <= 0 || f.X+f.W > t.Width || f.Y+f.H > t.Height {
		return fmt.Errorf("field %q: box %d,%d %dx%d is not inside the %dx%d side",
			f.Name, f.X, f.Y, f.W, f.H, t.Width, t.Height)
	}
	switch f.Kind {
	case KindText:
		if f.Size <= 0 {
			return fmt.Errorf("field %q: size must be positive", f.Name)
		}
		if f.MinSize == 0 || f.MinSize > f.Size {
			f.MinSize = f.Size
		}
		if f.MaxLines == 0 {
			f.MaxLines = 1
		}
	case KindPhoto, KindQR, KindBarcode, KindRect:
	default:
		return fmt.Errorf("field %q: unknown kind %q (want text, photo, qr, barcode or rect)", f.Name, f.Kind)
	}
	if f.Kind == KindRect && f.Line <= 0 {
		f.Line = 2
	}
	tmpl, err := template.New(f.Name).Funcs(funcs).Option("missingkey=error").Parse(f.Text)
	if err != nil {
		return fmt.Errorf("field %q: %w", f.Name, err)
	}
	f.tmpl = tmpl
	return nil
}

// value executes the field's text template.
func (f *Field) value(data any) (string, error) {
	var sb strings.Builder
	if err := f.tmpl.Execute(&sb, data); err != nil {
		return "", fmt.Errorf("field %q: %w", f.Name, err)
	}
	return strings.TrimSpace(sb.String()), nil
}
