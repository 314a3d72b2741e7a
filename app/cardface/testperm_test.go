package cardface

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"time"

	"permitdesk/app/permit"
)

// testPhoto builds a deterministic 102x126 greyscale portrait-like JPEG: a
// light background, a darker head ellipse and shoulders.
func testPhoto() []byte {
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
		panic(err)
	}
	return b.Bytes()
}

func day(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

// testPermits are the applications the golden images are made from.
func testPermits() map[string]permit.Permit {
	base := permit.Permit{
		Number: "440300202600012345",
		Holder: permit.Holder{Name: "张伟", Sex: permit.Male, Ethnicity: "汉", BirthDate: day("1990-03-15"),
			IDNumber: "110101199003150014"},
		Address: permit.Address{HouseCode: "4403050010020030001", District: "南山区", Street: "粤海街道",
			Community: "科技园社区", Detail: "科苑路15号1栋2单元301"},
		Authority: "深圳市公安局南山分局",
		IssuedAt:  day("2026-12-04"), ValidFrom: day("2026-12-04"), ValidTo: day("2027-12-04"),
		Photo: testPhoto(),
	}
	longName := base
	longName.Number = "440300202600012346"
	longName.Holder.Name = "买买提江·阿不都热合曼·艾力·司马义"
	longName.Holder.Ethnicity = "维吾尔"
	longName.Holder.Sex = permit.Male
	rare := base
	rare.Number = "440300202600012347"
	rare.Holder.Name = "𠮷田㛃"
	rare.Holder.Sex = permit.Female
	longAddr := base
	longAddr.Number = "440300202600012348"
	longAddr.Address = permit.Address{HouseCode: "4403070080090100002", District: "龙岗区", Street: "坂田街道",
		Community: "马安堂社区", Detail: "环城南路与雪岗路交汇处东北侧天安云谷产业园二期第4栋B座2单元第三十八层3805室"}
	longAddr.Authority = "深圳市公安局龙岗分局坂田派出所户政服务中心"
	return map[string]permit.Permit{"basic": base, "long-name": longName, "rare-chars": rare, "long-address": longAddr}
}
