package idcard

import (
	"fmt"
	"strings"
)

// NumberLen is the length of a citizen identity number (GB 11643-1999).
const NumberLen = 18

// weights are 2^(17-i) mod 11 for positions 0..16, the ISO 7064 MOD 11-2
// weights of GB 11643-1999.
var weights = [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}

// checkChars maps the weighted sum modulo 11 to the check character.
const checkChars = "10X98765432"

// provinces are the two-digit province prefixes of GB/T 2260, plus 81, 82
// and 83 for the Hong Kong, Macao and Taiwan residence permits.
var provinces = map[string]string{
	"11": "北京", "12": "天津", "13": "河北", "14": "山西", "15": "内蒙古",
	"21": "辽宁", "22": "吉林", "23": "黑龙江",
	"31": "上海", "32": "江苏", "33": "浙江", "34": "安徽", "35": "福建", "36": "江西", "37": "山东",
	"41": "河南", "42": "湖北", "43": "湖南", "44": "广东", "45": "广西", "46": "海南",
	"50": "重庆", "51": "四川", "52": "贵州", "53": "云南", "54": "西藏",
	"61": "陕西", "62": "甘肃", "63": "青海", "64": "宁夏", "65": "新疆",
	"71": "台湾", "81": "香港", "82": "澳门", "83": "台湾",
}

// CheckChar computes the check character for the first 17 digits of an
// identity number. It returns an error when first17 is not 17 ASCII digits.
func CheckChar(first17 string) (byte, error) {
	if len(first17) != 17 {
		return 0, fieldErr("idNumber", first17, "need 17 digits to compute a check character, got %d", len(first17))
	}
	sum := 0
	for i := 0; i < 17; i++ {
		c := first17[i]
		if c < '0' || c > '9' {
			return 0, fieldErr("idNumber", first17, "character %d is %q, not a digit", i+1, c)
		}
		sum += int(c-'0') * weights[i]
	}
	return checkChars[sum%11], nil
}

// ValidateNumber checks an 18-character identity number: 17 digits and a
// check character (digit or upper-case X) that matches, a known province
// prefix, and a real birth date. Errors are *FieldError values.
func ValidateNumber(n string) error {
	if len(n) != NumberLen {
		return fieldErr("idNumber", n, "an identity number has 18 characters, this one has %d", len(n))
	}
	want, err := CheckChar(n[:17])
	if err != nil {
		return err
	}
	if n[17] != want {
		return fieldErr("idNumber", n, "check character is %q but the first 17 digits give %q: check the number as typed, or read the card again", n[17], want)
	}
	if _, ok := provinces[n[:2]]; !ok {
		return fieldErr("idNumber", n, "region prefix %s is not a province code of GB/T 2260", n[:2])
	}
	if _, err := ParseDate(n[6:14]); err != nil {
		return fieldErr("idNumber", n, "digits 7 to 14 (%s) are not a real birth date", n[6:14])
	}
	return nil
}

// Province returns the province named by the first two digits of an identity
// number, or "" when the prefix is unknown.
func Province(n string) string {
	if len(n) < 2 {
		return ""
	}
	return provinces[n[:2]]
}

// ValidateForeignNumber checks the 15-character permit number of a 2017
// foreigner's permanent residence card: three upper-case letters for the
// nationality followed by 12 digits.
//
// NOTE: the 2017 number's check digit is not checked, because no public
// source for its algorithm was found.
func ValidateForeignNumber(n string) error {
	if len(n) != 15 {
		return fieldErr("idNumber", n, "a foreigner's permit number has 15 characters, this one has %d", len(n))
	}
	for i := 0; i < 3; i++ {
		if n[i] < 'A' || n[i] > 'Z' {
			return fieldErr("idNumber", n, "character %d should be an upper-case letter", i+1)
		}
	}
	if strings.Trim(n[3:], "0123456789") != "" {
		return fieldErr("idNumber", n, "characters 4 to 15 should be digits")
	}
	return nil
}

// MakeNumber builds a valid identity number from a six-digit region code, a
// birth date and a three-digit sequence (odd for men, even for women) by
// appending the check character. It is meant for test data.
func MakeNumber(region string, birth Date, seq int) (string, error) {
	if len(region) != 6 || seq < 0 || seq > 999 {
		return "", fmt.Errorf("make identity number: region %q must have 6 digits and sequence %d be 0 to 999", region, seq)
	}
	first := fmt.Sprintf("%s%s%03d", region, birth.Compact(), seq)
	c, err := CheckChar(first)
	if err != nil {
		return "", err
	}
	return first + string(c), nil
}
