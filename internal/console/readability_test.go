package console

import (
	"strings"
	"testing"
)

// maxGrade is the hardest the young person's words may read: Flesch-Kincaid grade 6, a
// reading age of about 11 (the plain-English guidance for the public aims at 9 to 11).
const maxGrade = 6.0

func TestReadingGradeSeparatesPlainFromDense(t *testing.T) {
	plain := "You get a personal adviser. They help you plan. You can ask them for help."
	dense := "Notwithstanding statutory responsibilities, the local authority's determination regarding eligibility necessitates comprehensive multidisciplinary assessment."
	if g := readingGrade(plain); g > maxGrade {
		t.Errorf("plain text reads at grade %.1f", g)
	}
	if g := readingGrade(dense); g < 12 {
		t.Errorf("dense text reads at grade %.1f, want it found hard", g)
	}
	if n := syllablesIn("adviser"); n != 3 {
		t.Errorf("adviser: %d syllables", n)
	}
}

// TestPlainWordsReadEasily: every piece of text written for young people reads at grade 6
// or below, as a whole and sentence by sentence (none may hide behind short ones).
func TestPlainWordsReadEasily(t *testing.T) {
	var all []string
	for _, s := range stages {
		all = append(all, s.Text...)
	}
	for _, m := range []map[string]string{legalForYou} {
		for _, v := range m {
			all = append(all, v)
		}
	}
	for _, v := range statusForYou {
		all = append(all, v)
	}
	for _, code := range []string{"U1", "U4", "K2", "K1", "H5", "P1", "P2", "A3", "T1", "Z1"} {
		all = append(all, placementForYou(code))
	}
	text := strings.Join(all, " ")
	if g := readingGrade(text); g > maxGrade {
		t.Errorf("the young person's words read at grade %.1f, want at most %.0f", g, maxGrade)
	}
	for _, s := range all {
		if g := readingGrade(s); g > maxGrade+4 {
			t.Errorf("%q reads at grade %.1f", s, g)
		}
	}
}
