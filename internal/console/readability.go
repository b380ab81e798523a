package console

import (
	"strings"
	"unicode"
)

// readingGrade is the Flesch-Kincaid grade level of a text: 0.39 words per sentence plus
// 11.8 syllables per word, less 15.59. Add five for a reading age in years: grade 6 reads
// at 11. Syllables are counted by vowel groups, the usual approximation for English; it is
// for checking our own young-person pages stay plain, not a linguistic tool.
func readingGrade(text string) float64 {
	sentences, words, syllables := 0, 0, 0
	for _, s := range splitSentences(text) {
		ws := strings.FieldsFunc(s, func(r rune) bool { return !unicode.IsLetter(r) && r != '\'' && r != '’' })
		if len(ws) == 0 {
			continue
		}
		sentences++
		for _, w := range ws {
			words++
			syllables += syllablesIn(w)
		}
	}
	if words == 0 {
		return 0
	}
	return 0.39*float64(words)/float64(sentences) + 11.8*float64(syllables)/float64(words) - 15.59
}

func splitSentences(text string) []string {
	return strings.FieldsFunc(text, func(r rune) bool { return r == '.' || r == '!' || r == '?' || r == '\n' })
}

func syllablesIn(word string) int {
	w := strings.ToLower(word)
	n, prevVowel := 0, false
	for _, r := range w {
		vowel := strings.ContainsRune("aeiouy", r)
		if vowel && !prevVowel {
			n++
		}
		prevVowel = vowel
	}
	// A silent final e ("plan... care") takes none, unless the word ends "le" (table).
	if strings.HasSuffix(w, "e") && !strings.HasSuffix(w, "le") && n > 1 {
		n--
	}
	return max(n, 1)
}
