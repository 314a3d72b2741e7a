package seed

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"math"
	"math/rand/v2"
)

// Portrait size in pixels: the 358x441 of a 26x32 mm ID photo at 350 dpi.
const (
	PortraitWidth  = 358
	PortraitHeight = 441
)

var (
	backgrounds = []color.RGBA{{255, 255, 255, 255}, {67, 142, 219, 255}, {238, 242, 246, 255}}
	skins       = []color.RGBA{{241, 204, 178, 255}, {227, 185, 152, 255}, {206, 160, 124, 255}, {245, 214, 190, 255}}
	hairs       = []color.RGBA{{20, 18, 18, 255}, {45, 32, 26, 255}, {70, 52, 40, 255}, {95, 90, 88, 255}}
	clothes     = []color.RGBA{{28, 36, 60, 255}, {30, 30, 30, 255}, {235, 235, 235, 255}, {90, 96, 105, 255}, {120, 40, 45, 255}}
)

// Portrait draws a synthetic head-and-shoulders picture from simple shapes
// and returns it as a JPEG. The same seed gives the same picture.
func Portrait(seed uint64, female bool) ([]byte, error) {
	rng := rand.New(rand.NewPCG(seed, seed>>7|1))
	img := image.NewRGBA(image.Rect(0, 0, PortraitWidth, PortraitHeight))
	fill(img, backgrounds[rng.IntN(len(backgrounds))])
	skin, hair := skins[rng.IntN(len(skins))], hairs[rng.IntN(len(hairs))]
	cx := 179 + rng.IntN(11) - 5
	faceRX, faceRY := 78+rng.IntN(14), 100+rng.IntN(14)
	faceCY := 195 + rng.IntN(10)

	if female {
		ellipse(img, cx, faceCY+30, faceRX+26, faceRY+70, hair, nil)
	}
	ellipse(img, cx, 470, 175, 120, clothes[rng.IntN(len(clothes))], nil)
	rect(img, cx-30, faceCY+faceRY-20, cx+30, faceCY+faceRY+45, shade(skin, 0.9))
	ellipse(img, cx-faceRX, faceCY+5, 14, 24, shade(skin, 0.95), nil)
	ellipse(img, cx+faceRX, faceCY+5, 14, 24, shade(skin, 0.95), nil)
	ellipse(img, cx, faceCY, faceRX, faceRY, skin, nil)
	hairline := faceCY - faceRY/2 + rng.IntN(12)
	ellipse(img, cx, faceCY-12, faceRX+8, faceRY+8, hair, func(_, y int) bool { return y < hairline })

	drawEyes(img, rng, cx, faceCY-8, hair)
	line(img, float64(cx), float64(faceCY+2), float64(cx-6), float64(faceCY+34), 3, shade(skin, 0.78))
	drawMouth(img, rng, cx, faceCY+58)

	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 60}); err != nil {
		return nil, fmt.Errorf("encode portrait: %w", err)
	}
	return buf.Bytes(), nil
}

func drawEyes(img *image.RGBA, rng *rand.Rand, cx, y int, brow color.RGBA) {
	gap := 30 + rng.IntN(8)
	for _, side := range []int{-1, 1} {
		ex := cx + side*gap
		ellipse(img, ex, y, 15, 8, color.RGBA{250, 250, 250, 255}, nil)
		ellipse(img, ex, y, 7, 7, color.RGBA{40, 30, 25, 255}, nil)
		bx := float64(ex)
		line(img, bx-17, float64(y-20+side*0), bx+17, float64(y-24), 4, brow)
	}
}

func drawMouth(img *image.RGBA, rng *rand.Rand, cx, y int) {
	width, curve := 22+rng.IntN(10), 4+rng.IntN(6)
	lip := color.RGBA{180, 90, 90, 255}
	prevX, prevY := float64(cx-width), float64(y)
	for i := 1; i <= 20; i++ {
		t := float64(i)/10 - 1
		x := float64(cx) + t*float64(width)
		yy := float64(y) + float64(curve)*(1-t*t)
		line(img, prevX, prevY, x, yy, 3, lip)
		prevX, prevY = x, yy
	}
}

func fill(img *image.RGBA, c color.RGBA) {
	b := img.Bounds()
	rect(img, b.Min.X, b.Min.Y, b.Max.X, b.Max.Y, c)
}

func rect(img *image.RGBA, x0, y0, x1, y1 int, c color.RGBA) {
	r := image.Rect(x0, y0, x1, y1).Intersect(img.Bounds())
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			img.SetRGBA(x, y, c)
		}
	}
}

// ellipse fills the ellipse centred on (cx, cy), limited to the pixels for
// which clip returns true when clip is not nil.
func ellipse(img *image.RGBA, cx, cy, rx, ry int, c color.RGBA, clip func(x, y int) bool) {
	r := image.Rect(cx-rx, cy-ry, cx+rx+1, cy+ry+1).Intersect(img.Bounds())
	for y := r.Min.Y; y < r.Max.Y; y++ {
		dy := float64(y-cy) / float64(ry)
		for x := r.Min.X; x < r.Max.X; x++ {
			dx := float64(x-cx) / float64(rx)
			if dx*dx+dy*dy <= 1 && (clip == nil || clip(x, y)) {
				img.SetRGBA(x, y, c)
			}
		}
	}
}

// line draws a segment of the given width by stamping discs along it.
func line(img *image.RGBA, x0, y0, x1, y1 float64, width int, c color.RGBA) {
	steps := int(math.Max(math.Abs(x1-x0), math.Abs(y1-y0))) + 1
	half := width / 2
	for i := 0; i <= steps; i++ {
		t := float64(i) / float64(steps)
		ellipse(img, int(x0+t*(x1-x0)), int(y0+t*(y1-y0)), half+1, half+1, c, nil)
	}
}

func shade(c color.RGBA, f float64) color.RGBA {
	return color.RGBA{uint8(float64(c.R) * f), uint8(float64(c.G) * f), uint8(float64(c.B) * f), 255}
}
