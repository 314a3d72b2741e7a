package seed

// district is a Shenzhen administrative district with some of its streets
// (街道) and their communities (社区), and the roads used for addresses.
type district struct {
	Name  string
	Code  string // GB/T 2260 code; 大鹏新区 is a functional area inside 龙岗区
	Abbr  string // two-letter short form used in application ids
	Roads []string
	// Streets maps a street to communities in it.
	Streets []street
}

type street struct {
	Name        string
	Communities []string
}

// NOTE: the street and community names were written from memory of the
// public administrative lists of the Shenzhen districts and not checked
// against the current register. Communities are merged and renamed every few
// years, so some may be out of date.
var districts = []district{
	{Name: "福田区", Code: "440304", Abbr: "FT", Roads: []string{"深南中路", "福华路", "益田路", "彩田路", "红荔路", "新洲路", "皇岗路"},
		Streets: []street{
			{"福田街道", []string{"福山社区", "岗厦社区", "皇岗社区", "水围社区", "福安社区"}},
			{"沙头街道", []string{"新沙社区", "沙嘴社区", "上沙社区", "下沙社区", "沙尾社区"}},
			{"梅林街道", []string{"梅林一村社区", "上梅林社区", "梅都社区"}},
			{"香蜜湖街道", []string{"香蜜社区", "竹林社区", "侨香社区"}},
			{"莲花街道", []string{"景华社区", "彩田社区"}},
		}},
	{Name: "罗湖区", Code: "440303", Abbr: "LH", Roads: []string{"人民南路", "解放路", "东门中路", "深南东路", "宝安南路", "爱国路"},
		Streets: []street{
			{"东门街道", []string{"湖贝社区", "立新社区", "城东社区"}},
			{"南湖街道", []string{"渔邨社区", "向西社区", "罗湖社区"}},
			{"黄贝街道", []string{"新秀社区", "黄贝岭社区"}},
			{"莲塘街道", []string{"莲塘社区", "鹏兴社区", "仙湖社区"}},
		}},
	{Name: "南山区", Code: "440305", Abbr: "NS", Roads: []string{"南海大道", "科苑路", "深南大道", "沙河西路", "桃园路", "南山大道"},
		Streets: []street{
			{"粤海街道", []string{"科技园社区", "高新区社区", "深圳湾社区", "海珠社区"}},
			{"蛇口街道", []string{"渔一社区", "湾厦社区", "四海社区"}},
			{"南头街道", []string{"南头城社区", "田厦社区"}},
			{"西丽街道", []string{"西丽社区", "大磡社区", "白芒社区"}},
			{"招商街道", []string{"水湾社区", "花果山社区"}},
		}},
	{Name: "宝安区", Code: "440306", Abbr: "BA", Roads: []string{"宝安大道", "新湖路", "创业一路", "建安一路", "前进路", "松白路"},
		Streets: []street{
			{"西乡街道", []string{"固戍社区", "臣田社区", "西乡社区"}},
			{"沙井街道", []string{"沙井社区", "沙一社区", "后亭社区", "衙边社区"}},
			{"福永街道", []string{"福永社区", "凤凰社区", "塘尾社区"}},
			{"石岩街道", []string{"官田社区", "浪心社区", "水田社区"}},
			{"新安街道", []string{"海旺社区", "宝民社区"}},
		}},
	{Name: "龙岗区", Code: "440307", Abbr: "LG", Roads: []string{"龙岗大道", "龙翔大道", "布吉路", "坂雪岗大道", "深惠路", "吉华路"},
		Streets: []street{
			{"坂田街道", []string{"坂田社区", "岗头社区", "马安堂社区", "五和社区"}},
			{"布吉街道", []string{"德兴社区", "大芬社区"}},
			{"龙城街道", []string{"愉园社区", "龙西社区", "五联社区", "爱联社区"}},
			{"平湖街道", []string{"平湖社区", "白坭坑社区"}},
		}},
	{Name: "龙华区", Code: "440309", Abbr: "LW", Roads: []string{"人民路", "民治大道", "梅龙大道", "东环一路", "和平路", "观澜大道"},
		Streets: []street{
			{"民治街道", []string{"民治社区", "白石龙社区", "新牛社区"}},
			{"龙华街道", []string{"清湖社区", "三联社区", "景龙社区", "油松社区"}},
			{"大浪街道", []string{"浪口社区", "同胜社区", "龙胜社区"}},
			{"观澜街道", []string{"桂花社区", "库坑社区"}},
		}},
	{Name: "坪山区", Code: "440310", Abbr: "PS", Roads: []string{"深汕路", "坪山大道", "东纵路", "金牛路"},
		Streets: []street{
			{"坪山街道", []string{"六和社区", "和平社区", "坪山社区"}},
			{"坑梓街道", []string{"坑梓社区", "秀新社区"}},
			{"龙田街道", []string{"龙田社区", "竹坑社区", "老坑社区"}},
			{"马峦街道", []string{"马峦社区", "沙湖社区", "江岭社区"}},
		}},
	{Name: "光明区", Code: "440311", Abbr: "GM", Roads: []string{"光明大道", "华夏路", "公明大道", "松白路"},
		Streets: []street{
			{"公明街道", []string{"上村社区", "下村社区", "合水口社区"}},
			{"光明街道", []string{"光明社区", "东周社区"}},
			{"马田街道", []string{"将石社区", "薯田埔社区"}},
			{"凤凰街道", []string{"凤凰社区", "塘家社区"}},
			{"新湖街道", []string{"楼村社区", "新羌社区"}},
		}},
	{Name: "盐田区", Code: "440308", Abbr: "YT", Roads: []string{"深盐路", "海景路", "盐田路", "沙头角路"},
		Streets: []street{
			{"沙头角街道", []string{"中英街社区", "田心社区"}},
			{"盐田街道", []string{"盐田社区", "永安社区", "沿港社区"}},
			{"海山街道", []string{"海涛社区", "田东社区"}},
			{"梅沙街道", []string{"东海社区"}},
		}},
	{Name: "大鹏新区", Code: "440307", Abbr: "DP", Roads: []string{"葵涌大道", "鹏飞路", "迎宾路", "南澳大道"},
		Streets: []street{
			{"葵涌街道", []string{"葵涌社区", "土洋社区", "溪涌社区", "官湖社区"}},
			{"大鹏街道", []string{"王母社区", "鹏城社区", "岭澳社区"}},
			{"南澳街道", []string{"南澳社区", "东山社区", "西涌社区"}},
		}},
}

// hukou is a county-level place of household registration with its GB/T
// 2260 code, used as the first six digits of generated ID numbers.
type hukou struct {
	Code, Name string
	Ethnic     []string // ethnic groups drawn for people registered there
}

var hukous = []hukou{
	{"430102", "湖南省长沙市芙蓉区", []string{"汉"}},
	{"430103", "湖南省长沙市天心区", []string{"汉", "土家"}},
	{"431003", "湖南省郴州市苏仙区", []string{"汉", "瑶"}},
	{"450102", "广西壮族自治区南宁市兴宁区", []string{"壮", "汉"}},
	{"450103", "广西壮族自治区南宁市青秀区", []string{"汉", "壮"}},
	{"510104", "四川省成都市锦江区", []string{"汉"}},
	{"510105", "四川省成都市青羊区", []string{"汉", "彝"}},
	{"410102", "河南省郑州市中原区", []string{"汉", "回"}},
	{"410105", "河南省郑州市金水区", []string{"汉"}},
	{"420102", "湖北省武汉市江岸区", []string{"汉"}},
	{"420106", "湖北省武汉市武昌区", []string{"汉", "土家"}},
	{"360102", "江西省南昌市东湖区", []string{"汉"}},
	{"440106", "广东省广州市天河区", []string{"汉"}},
	{"445202", "广东省揭阳市榕城区", []string{"汉"}},
	{"440511", "广东省汕头市金平区", []string{"汉"}},
	{"350102", "福建省福州市鼓楼区", []string{"汉", "畲"}},
	{"500103", "重庆市渝中区", []string{"汉", "土家"}},
	{"610113", "陕西省西安市雁塔区", []string{"汉", "回"}},
	{"320106", "江苏省南京市鼓楼区", []string{"汉"}},
	{"520102", "贵州省贵阳市南明区", []string{"汉", "苗", "布依"}},
}

var surnames = []string{
	"王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡",
	"郭", "何", "林", "罗", "高", "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹",
	"彭", "曾", "肖", "田", "董", "潘", "袁", "蔡", "蒋", "余", "欧阳", "司马",
}

var givenMale = []string{
	"伟", "强", "磊", "军", "勇", "杰", "涛", "斌", "超", "明", "建华", "志强", "俊杰", "浩然",
	"宇轩", "子豪", "文博", "家乐", "晓东", "国平", "海波", "振宇", "立新", "嘉伟",
}

var givenFemale = []string{
	"芳", "娜", "敏", "静", "丽", "艳", "娟", "霞", "婷", "雪", "秀英", "桂兰", "晓燕", "欣怡",
	"梓涵", "雨萱", "佳怡", "诗琪", "丽华", "美玲", "思琪", "慧敏", "春梅", "玉洁",
}

var estates = []string{
	"花园", "新村", "雅苑", "公寓", "家园", "名苑", "城", "大厦", "小区", "山庄",
}

var estatePrefixes = []string{
	"翠", "景", "华", "丽", "金", "碧", "海", "锦", "怡", "康", "桃", "荔", "榕", "鹏", "紫",
}
