package card_test

import (
	"testing"

	"permitdesk/devices/pcsctest"
	simcard "permitdesk/devices/sim/card"
)

func TestDirectReaderConformance(t *testing.T) {
	pcsctest.RunReaderConformance(t, func(t *testing.T) pcsctest.Harness {
		e, err := simcard.New(simcard.Options{})
		if err != nil {
			t.Fatal(err)
		}
		return pcsctest.Harness{Reader: simcard.Direct{E: e}, Sim: e}
	})
}
