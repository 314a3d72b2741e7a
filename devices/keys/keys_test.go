package keys_test

import (
	"context"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"permitdesk/devices/keys"
)

// Expected values computed with OpenSSL 3 (des-ede-ecb, legacy provider),
// an implementation independent of this package.
const (
	factorHex     = "0102030405060708"
	wantCardKey   = "8AD9F058324700E6794D0BF31923790C"
	challengeHex  = "1122334455667788"
	wantCryptoHex = "16CD3497BFA831D0"
)

func TestDiversifyKnownAnswer(t *testing.T) {
	factor, _ := hex.DecodeString(factorHex)
	sk, err := keys.Diversify(keys.DevMasterKey, factor)
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprintf("%X", sk); got != wantCardKey {
		t.Fatalf("card key %s, want %s", got, wantCardKey)
	}
}

func TestCardCryptogramKnownAnswer(t *testing.T) {
	factor, _ := hex.DecodeString(factorHex)
	challenge, _ := hex.DecodeString(challengeHex)
	got, err := keys.NewFile(keys.DevMasterKey).Cryptogram(context.Background(), factor, challenge)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprintf("%X", got) != wantCryptoHex {
		t.Fatalf("cryptogram %X, want %s", got, wantCryptoHex)
	}
}

func TestDevKeyFileMatchesConstant(t *testing.T) {
	f, err := os.ReadFile(filepath.Join("..", "..", "testdata", "cards", "dev-master.key"))
	if err != nil {
		t.Fatal(err)
	}
	mk, err := keys.ParseMasterKey(f)
	if err != nil {
		t.Fatal(err)
	}
	if mk != keys.DevMasterKey {
		t.Fatal("testdata/cards/dev-master.key differs from keys.DevMasterKey")
	}
}

func TestParseMasterKeyErrorsHideKey(t *testing.T) {
	cases := map[string]string{
		"short":   "504445562D4D4153\n",
		"two":     "504445562D4D41535445522D4B455931\n504445562D4D41535445522D4B455931\n",
		"nothing": "# only a comment\n",
		"not hex": "504445562D4D41535445522D4B45593Z\n",
	}
	for name, in := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := keys.ParseMasterKey([]byte(in))
			if err == nil {
				t.Fatal("no error")
			}
			if strings.Contains(err.Error(), "504445562D") {
				t.Fatalf("error shows key material: %v", err)
			}
		})
	}
}

func TestMasterKeyFormatsMasked(t *testing.T) {
	for _, s := range []string{fmt.Sprint(keys.DevMasterKey), fmt.Sprintf("%v %+v %#v", keys.DevMasterKey,
		keys.DevMasterKey, keys.DevMasterKey)} {
		if strings.Contains(s, "80") || strings.Contains(s, "50") {
			t.Fatalf("formatted key shows bytes: %s", s)
		}
	}
}
