package rewritersim

import (
	"strings"
	"testing"
)

func TestControlHelpListsCommands(t *testing.T) {
	s, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	reply := s.Control("help")
	if !strings.HasPrefix(reply, "ok ") {
		t.Fatalf("help reply = %q, want ok ...", reply)
	}
	for _, cmd := range []string{"insert", "remove", "cover", "status"} {
		if !strings.Contains(reply, cmd) {
			t.Errorf("help reply %q does not list %s", reply, cmd)
		}
	}
	if reply := s.Control("bogus"); !strings.HasPrefix(reply, "err ") {
		t.Errorf("bogus reply = %q, want err ...", reply)
	}
}
