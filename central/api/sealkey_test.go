package api

import (
	"crypto/ed25519"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"strings"
	"testing"
)

func TestParseSealPublicKey(t *testing.T) {
	pub := ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize)).Public().(ed25519.PublicKey)
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	pemText := string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
	cases := []struct {
		name, text string
		ok         bool
	}{
		{"pem", pemText, true},
		{"hex", hex.EncodeToString(pub) + "\n", true},
		{"hex with comment", "# central seal key\n" + strings.ToUpper(hex.EncodeToString(pub)), true},
		{"short hex", hex.EncodeToString(pub[:31]), false},
		{"empty", "\n# nothing\n", false},
		{"private pem", "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseSealPublicKey([]byte(tc.text))
			if tc.ok && (err != nil || !pub.Equal(got)) {
				t.Errorf("parse: %v, key equal %v", err, pub.Equal(got))
			}
			if !tc.ok && err == nil {
				t.Error("parse accepted an invalid key")
			}
		})
	}
}
