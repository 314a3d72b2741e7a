package evolis

import (
	"fmt"
	"image"
	"image/color"
)

// Card size in dots at 300 dpi, landscape: the long edge runs along the
// printing direction (1016 lines), the short edge across the head (648 dots).
const (
	CardWidth  = Lines
	CardHeight = DotsPerLine
)

// PackPanel turns a landscape 1016 x 648 image into a 2-level panel in the
// printer's order. Line i is column i of the image from the left. The dots of
// a line run from the bottom row of the image to the top, MSB first, which is
// the image turned a quarter clockwise. A pixel darker than 50% prints.
func PackPanel(img image.Image) ([]byte, error) {
	b := img.Bounds()
	if b.Dx() != CardWidth || b.Dy() != CardHeight {
		return nil, fmt.Errorf("card face is %dx%d, want %dx%d (landscape, 300 dpi)", b.Dx(), b.Dy(), CardWidth, CardHeight)
	}
	out := make([]byte, PanelBytes)
	if g, ok := img.(*image.Gray); ok {
		packGray(g, out)
		return out, nil
	}
	for line := 0; line < Lines; line++ {
		for dot := 0; dot < DotsPerLine; dot++ {
			x, y := b.Min.X+line, b.Min.Y+CardHeight-1-dot
			if dark(img.At(x, y)) {
				out[line*BytesPerLine+dot/8] |= 0x80 >> (dot % 8)
			}
		}
	}
	return out, nil
}

func dark(c color.Color) bool {
	g := color.GrayModel.Convert(c).(color.Gray)
	return g.Y < 128
}

// UnpackPanel turns a 2-level panel back into the landscape image, black
// where a dot prints and white elsewhere.
func UnpackPanel(panel []byte) (*image.Gray, error) {
	if len(panel) != PanelBytes {
		return nil, fmt.Errorf("panel is %d bytes, want %d", len(panel), PanelBytes)
	}
	img := image.NewGray(image.Rect(0, 0, CardWidth, CardHeight))
	for i := range img.Pix {
		img.Pix[i] = 0xFF
	}
	for line := 0; line < Lines; line++ {
		for dot := 0; dot < DotsPerLine; dot++ {
			if panel[line*BytesPerLine+dot/8]&(0x80>>(dot%8)) != 0 {
				img.SetGray(line, CardHeight-1-dot, color.Gray{})
			}
		}
	}
	return img, nil
}

// packGray is PackPanel for greyscale images, reading pixels directly.
func packGray(g *image.Gray, out []byte) {
	for y := 0; y < CardHeight; y++ {
		row := g.Pix[g.PixOffset(g.Rect.Min.X, g.Rect.Min.Y+y):]
		dot := CardHeight - 1 - y
		mask, idx := byte(0x80>>(dot%8)), dot/8
		for line := 0; line < Lines; line++ {
			if row[line] < 128 {
				out[line*BytesPerLine+idx] |= mask
			}
		}
	}
}
