package cardface

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"permitdesk/devices/evolis"
	"permitdesk/devices/serialport"
	evolissim "permitdesk/devices/sim/evolis"
)

var update = flag.Bool("update", false, "rewrite the golden images in testdata/golden")

func newRenderer(t testing.TB, set string) *Renderer {
	t.Helper()
	r, err := New(Options{Set: set})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func goldenPath(name string, side Side) string {
	return filepath.Join("testdata", "golden", name+"-"+string(side)+".png")
}

func readPNG(t *testing.T, path string) *image.Gray {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	g, ok := img.(*image.Gray)
	if !ok {
		t.Fatalf("%s is %T, want a greyscale PNG", path, img)
	}
	return g
}

// diffPixels counts pixels that differ in black or white.
func diffPixels(a, b *image.Gray) int {
	if a.Bounds() != b.Bounds() {
		return -1
	}
	n := 0
	for y := a.Bounds().Min.Y; y < a.Bounds().Max.Y; y++ {
		for x := a.Bounds().Min.X; x < a.Bounds().Max.X; x++ {
			if (a.GrayAt(x, y).Y < 128) != (b.GrayAt(x, y).Y < 128) {
				n++
			}
		}
	}
	return n
}

func TestRenderGolden(t *testing.T) {
	r := newRenderer(t, "full")
	for name, p := range testPermits() {
		for _, side := range []Side{Front, Back, Strip} {
			t.Run(name+"/"+string(side), func(t *testing.T) {
				img, err := r.Render(p, side)
				if err != nil {
					t.Fatal(err)
				}
				path := goldenPath(name, side)
				if *update {
					var b bytes.Buffer
					if err := png.Encode(&b, img); err != nil {
						t.Fatal(err)
					}
					if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
						t.Fatal(err)
					}
				}
				if d := diffPixels(img, readPNG(t, path)); d != 0 {
					t.Errorf("%d pixels differ from %s", d, path)
				}
			})
		}
	}
}

func TestRenderedIsBlackAndWhite(t *testing.T) {
	img, err := newRenderer(t, "full").Render(testPermits()["basic"], Front)
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range img.Pix {
		if v != 0 && v != 0xFF {
			t.Fatalf("pixel %d is grey (%d); a K panel has only black and white", i, v)
		}
	}
}

// TestPrintedEqualsGolden renders a permit, prints it through the driver
// and the emulator over a pseudo-terminal, and compares the emulator's PNGs
// with the golden images.
func TestPrintedEqualsGolden(t *testing.T) {
	out := t.TempDir()
	sim, err := evolissim.New(evolissim.Options{Link: filepath.Join(t.TempDir(), "printer"), OutDir: out})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	go sim.Run(ctx)
	t.Cleanup(func() { cancel(); sim.Wait() })
	p, err := evolis.Open(ctx, evolis.Options{Port: serialport.Options{Path: sim.Path()}})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()

	front, back, err := newRenderer(t, "full").Faces(testPermits()["rare-chars"])
	if err != nil {
		t.Fatal(err)
	}
	job, err := p.FeedToContactless(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.PrintFaces(ctx, job, front, back); err != nil {
		t.Fatal(err)
	}
	if err := p.Eject(ctx, job); err != nil {
		t.Fatal(err)
	}
	for _, side := range []Side{Front, Back} {
		printed := readPNG(t, filepath.Join(out, "card-0001-"+string(side)+".png"))
		if d := diffPixels(printed, readPNG(t, goldenPath("rare-chars", side))); d != 0 {
			t.Errorf("printed %s differs from its golden image in %d pixels", side, d)
		}
	}
}

func TestFontMissing(t *testing.T) {
	_, err := New(Options{FontFile: "/nonexistent/font.ttc"})
	if !errors.Is(err, ErrFontMissing) {
		t.Fatalf("error = %v, want ErrFontMissing", err)
	}
	if !strings.Contains(err.Error(), "/nonexistent/font.ttc") {
		t.Errorf("error %q does not name the path", err)
	}
}

func TestFontWithoutGlyph(t *testing.T) {
	const latin = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
	if _, err := os.Stat(latin); err != nil {
		t.Skip("DejaVu Sans not installed")
	}
	r, err := New(Options{FontFile: latin, Set: "production"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = r.Render(testPermits()["basic"], Front)
	var fe *FieldError
	if !errors.As(err, &fe) || fe.Field != "name" || !strings.Contains(fe.Reason, "U+5F20") {
		t.Errorf("error = %v, want a missing glyph U+5F20 in field name", err)
	}
}

func TestTextTooLong(t *testing.T) {
	p := testPermits()["basic"]
	p.Address.Detail = strings.Repeat("很长的地址", 40)
	_, err := newRenderer(t, "production").Render(p, Front)
	var fe *FieldError
	if !errors.As(err, &fe) || fe.Field != "address" {
		t.Fatalf("error = %v, want a FieldError for address", err)
	}
}

func TestLongTextShrinksInsideBox(t *testing.T) {
	r := newRenderer(t, "production")
	f := r.templates[Front].Fields[4]
	if f.Name != "address" {
		t.Fatalf("field 4 is %s, want address", f.Name)
	}
	lines, size, ok, err := r.fonts.fitText(&f, testPermits()["long-address"].Address.Line())
	if err != nil || !ok {
		t.Fatalf("fit: ok=%v err=%v", ok, err)
	}
	if size >= f.Size {
		t.Errorf("size = %g, want below %g for a long address", size, f.Size)
	}
	if len(lines) > f.MaxLines {
		t.Errorf("%d lines, want at most %d", len(lines), f.MaxLines)
	}
	for _, l := range lines {
		w, _ := r.fonts.advance(l, size)
		if w.Ceil() > f.W {
			t.Errorf("line %q is %d dots wide, box is %d", l, w.Ceil(), f.W)
		}
	}
}

func TestInkStaysInsideBoxes(t *testing.T) {
	r := newRenderer(t, "production")
	img, err := r.Render(testPermits()["long-address"], Front)
	if err != nil {
		t.Fatal(err)
	}
	var boxes []image.Rectangle
	for _, f := range r.templates[Front].Fields {
		boxes = append(boxes, image.Rect(f.X, f.Y, f.X+f.W, f.Y+f.H))
	}
	for y := 0; y < img.Bounds().Dy(); y++ {
		for x := 0; x < img.Bounds().Dx(); x++ {
			if img.GrayAt(x, y).Y != 0 {
				continue
			}
			inside := false
			for _, b := range boxes {
				inside = inside || image.Pt(x, y).In(b)
			}
			if !inside {
				t.Fatalf("black pixel at %d,%d is outside every field", x, y)
			}
		}
	}
}

func TestDitherHalfGrey(t *testing.T) {
	img := image.NewGray(image.Rect(0, 0, 64, 64))
	for i := range img.Pix {
		img.Pix[i] = 128
	}
	dither(img)
	black := 0
	for _, v := range img.Pix {
		if v == 0 {
			black++
		} else if v != 0xFF {
			t.Fatalf("grey pixel %d after dithering", v)
		}
	}
	if black < 64*64*45/100 || black > 64*64*55/100 {
		t.Errorf("%d of %d pixels black for 50%% grey, want about half", black, 64*64)
	}
}

func TestTemplateErrors(t *testing.T) {
	for _, tc := range []struct{ name, json, want string }{
		{"outside", `{"name":"t","width":100,"height":100,"fields":[{"name":"a","text":"x","x":90,"y":0,"w":20,"h":10,"size":8}]}`, "not inside"},
		{"kind", `{"name":"t","width":100,"height":100,"fields":[{"name":"a","kind":"circle","x":0,"y":0,"w":20,"h":10}]}`, "unknown kind"},
		{"unknown key", `{"name":"t","width":100,"height":100,"colour":"red"}`, "unknown field"},
		{"template", `{"name":"t","width":100,"height":100,"fields":[{"name":"a","text":"{{.Nope","x":0,"y":0,"w":20,"h":10,"size":8}]}`, "field \"a\""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseTemplate("t.json", []byte(tc.json))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error = %v, want it to mention %q", err, tc.want)
			}
		})
	}
}

// TestTemplateFilesMatchBuiltin keeps testdata/templates, the editable copy,
// equal to the embedded defaults.
func TestTemplateFilesMatchBuiltin(t *testing.T) {
	entries, err := builtin.ReadDir("templates")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		want, _ := builtin.ReadFile("templates/" + e.Name())
		got, err := os.ReadFile(filepath.Join("..", "..", "testdata", "templates", e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("testdata/templates/%s differs from the built-in copy", e.Name())
		}
	}
	if _, err := New(Options{TemplateDir: filepath.Join("..", "..", "testdata", "templates"), Set: "full"}); err != nil {
		t.Errorf("load templates from testdata: %v", err)
	}
}

func TestPreviewPNG(t *testing.T) {
	b, err := newRenderer(t, "production").Preview(testPermits()["basic"], Back)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := png.DecodeConfig(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Width != evolis.CardWidth || cfg.Height != evolis.CardHeight {
		t.Errorf("preview is %dx%d, want %dx%d", cfg.Width, cfg.Height, evolis.CardWidth, evolis.CardHeight)
	}
}

func TestCodesFitTheirBox(t *testing.T) {
	for _, kind := range []string{KindQR, KindBarcode} {
		t.Run(kind, func(t *testing.T) {
			img := image.NewGray(image.Rect(0, 0, 600, 300))
			for i := range img.Pix {
				img.Pix[i] = 0xFF
			}
			box := image.Rect(50, 40, 550, 240)
			if err := drawCode(img.SubImage(box).(*image.Gray), kind, "440300202600012345"); err != nil {
				t.Fatal(err)
			}
			black := 0
			for y := 0; y < 300; y++ {
				for x := 0; x < 600; x++ {
					if img.GrayAt(x, y).Y == 0 {
						black++
						if !image.Pt(x, y).In(box) {
							t.Fatalf("black pixel at %d,%d outside the box", x, y)
						}
					}
				}
			}
			if black < 1000 {
				t.Errorf("only %d black pixels drawn", black)
			}
		})
	}
	small := image.NewGray(image.Rect(0, 0, 10, 10))
	if err := drawCode(small, KindQR, "440300202600012345"); err == nil {
		t.Error("a QR code was drawn in a 10-dot box")
	}
}
