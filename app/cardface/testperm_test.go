package cardface

import (
	"permitdesk/app/permit"
)

// testPermits are the applications the golden images are made from.
func testPermits() map[string]permit.Permit {
	base := SamplePermit()
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
