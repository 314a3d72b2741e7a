package idcard_test

import (
	"errors"
	"fmt"

	"permitdesk/devices/idcard"
)

func ExampleCheckChar() {
	c, _ := idcard.CheckChar("11010519491231002")
	fmt.Printf("%c\n", c)
	// Output: X
}

func ExampleValidateNumber() {
	err := idcard.ValidateNumber("440304198503123717")
	var fe *idcard.FieldError
	if errors.As(err, &fe) {
		fmt.Println(fe.Field)
		fmt.Println(err)
	}
	// Output:
	// idNumber
	// invalid idNumber "440304198503123717": check character is '7' but the first 17 digits give '6': check the number as typed, or read the card again
}
