package cardface

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"time"

	"permitdesk/app/permit"
)

// SamplePhoto returns a generated 102 x 126 greyscale portrait silhouette as
// JPEG, the size of an ID-card photo, for test cards and previews.
func SamplePhoto() []byte {
	img := image.NewGray(image.Rect(0, 0, 102, 126))
	for y := 0; y < 126; y++ {
		for x := 0; x < 102; x++ {
			v := 230 - y/3
			dx, dy := float64(x-51)/28, float64(y-50)/36
			if dx*dx+dy*dy < 1 {
				v = 150 + x/2 - y/4
			}
			if y > 95 && (x-51)*(x-51) < (y-80)*(y-80)*3 {
				v = 60 + x/4
			}
			img.SetGray(x, y, color.Gray{Y: uint8(v)})
		}
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 90}); err != nil {
		panic(err) // encoding an in-memory greyscale image cannot fail
	}
	return b.Bytes()
}

// SamplePermit returns a fictitious permit for test cards and previews.
func SamplePermit() permit.Permit {
	day := func(s string) time.Time {
		t, _ := time.Parse(time.DateOnly, s)
		return t
	}
	return permit.Permit{
		Number: "440300202600012345",
		Holder: permit.Holder{Name: "张伟", Sex: permit.Male, Ethnicity: "汉", BirthDate: day("1990-03-15"),
			IDNumber: "110101199003150014"},
		Address: permit.Address{HouseCode: "4403050010020030001", District: "南山区", Street: "粤海街道",
			Community: "科技园社区", Detail: "科苑路15号1栋2单元301"},
		Authority: "深圳市公安局南山分局",
		IssuedAt:  day("2026-12-04"), ValidFrom: day("2026-12-04"), ValidTo: day("2027-12-04"),
		Photo: SamplePhoto(),
	}
}

// StripImage renders the rewritable address strip of p.
func (r *Renderer) StripImage(p permit.Permit) (*image.Gray, error) {
	return r.Render(p, Strip)
}
