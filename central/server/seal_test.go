package server

import (
	"crypto/ed25519"
	"testing"

	"permitdesk/central/api"
	"permitdesk/central/pki"
	"permitdesk/devices/permitcard"
)

func TestSealKeysPublishedKey(t *testing.T) {
	ts := startServer(t)
	c := ts.client(t, false)
	var list api.SealKeyList
	if code := do(t, c, "GET", ts.url+"/v1/seal-keys", nil, &list); code != 200 {
		t.Fatalf("HTTP %d", code)
	}
	if list.ServerTime.IsZero() {
		t.Error("seal key list lacks the envelope")
	}
	pub, err := pki.LoadSealPublicKey(ts.pkiDir)
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Keys) != 1 {
		t.Fatalf("%d keys, want 1", len(list.Keys))
	}
	k := list.Keys[0]
	if k.KeyId != api.SealKeyID(pub) {
		t.Errorf("key ID %q, want %q", k.KeyId, api.SealKeyID(pub))
	}
	if !pub.Equal(ed25519.PublicKey(k.PublicKey)) {
		t.Error("published key differs from seal-pub.pem")
	}
}

func TestApplicationsCarrySeal(t *testing.T) {
	ts := startServer(t)
	c := ts.client(t, false)
	var list api.SealKeyList
	do(t, c, "GET", ts.url+"/v1/seal-keys", nil, &list)
	trusted := map[string]ed25519.PublicKey{}
	for _, k := range list.Keys {
		trusted[k.KeyId] = ed25519.PublicKey(k.PublicKey)
	}
	var p api.ApplicationPage
	if code := do(t, c, "GET", ts.url+"/v1/applications?limit=5", nil, &p); code != 200 {
		t.Fatalf("HTTP %d", code)
	}
	if len(p.Items) == 0 {
		t.Fatal("no applications")
	}
	for _, a := range p.Items {
		if a.Seal == nil {
			t.Errorf("application %s has no seal", a.Id)
			continue
		}
		var photo []byte
		if a.Photo != nil {
			photo = *a.Photo
		}
		d := permitcard.CardData{
			Holder: permitcard.Holder{Name: a.Holder.Name, Sex: string(a.Holder.Sex), Ethnicity: a.Holder.Ethnicity,
				BirthDate: a.Holder.BirthDate.Time, IDNumber: a.Holder.IdNumber, HukouAddress: a.Holder.HukouAddress},
			Permit: permitcard.Permit{Number: a.PermitNumber, Authority: a.Authority, ValidFrom: a.ValidFrom.Time,
				ValidTo: a.ValidTo.Time},
			Photo: photo,
			Seal:  permitcard.Seal{KeyID: a.Seal.KeyId, Signature: a.Seal.Signature},
		}
		if err := permitcard.VerifySeal(d, trusted); err != nil {
			t.Errorf("application %s: %v", a.Id, err)
		}
	}
}
