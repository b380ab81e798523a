package pagetoken

import (
	"testing"

	"github.com/carepath/carepath/internal/errs"
)

func TestRoundTrip(t *testing.T) {
	tok := Encode("0195-last-id", `ehc_plan = true`)
	after, err := Decode(tok, `ehc_plan = true`)
	if err != nil || after != "0195-last-id" {
		t.Fatalf("Decode = %q, %v", after, err)
	}
	if after, err := Decode("", "anything"); err != nil || after != "" {
		t.Fatalf("empty token = %q, %v; want the first page", after, err)
	}
}

func TestRefusesOtherQueriesAndTampering(t *testing.T) {
	tok := Encode("id-1", "filter a")
	for name, try := range map[string]func() error{
		"other filter": func() error { _, err := Decode(tok, "filter b"); return err },
		"extra part":   func() error { _, err := Decode(tok, "filter a", "principal"); return err },
		"not base64":   func() error { _, err := Decode("!!!", "filter a"); return err },
		"truncated":    func() error { _, err := Decode(tok[:5], "filter a"); return err },
		"flipped byte": func() error { b := []byte(tok); b[3] ^= 1; _, err := Decode(string(b), "filter a"); return err },
	} {
		if err := try(); errs.ReasonOf(err) != errs.ReasonPageTokenInvalid {
			t.Errorf("%s: error = %v, want PAGE_TOKEN_INVALID", name, err)
		}
	}
}
