package timeline

import (
	"encoding/xml"
	"fmt"
	"strconv"
	"strings"
)

// writer builds the SVG. Text from the input only ever goes through text or attr, which
// escape it (encoding/xml escapes <, >, &, both quotes and control characters).
type writer struct{ strings.Builder }

func (w *writer) raw(s string) { w.WriteString(s) }

// printf is for markup whose arguments are numbers or fixed words, never the input's text.
func (w *writer) printf(format string, args ...any) { fmt.Fprintf(w, format, args...) }

func (w *writer) text(s string) { _ = xml.EscapeText(w, []byte(s)) }

func (w *writer) attr(s string) { w.text(s) }

func (w *writer) num(v float64) { w.WriteString(f(v)) }

// f formats a coordinate with at most two decimals and no trailing zeros, so that the
// output is stable and small.
func f(v float64) string {
	s := strconv.FormatFloat(v, 'f', 2, 64)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	if s == "-0" {
		return "0"
	}
	return s
}

// advance is Arial's (and Helvetica's) advance width of common characters in thousandths of
// an em, enough to lay out labels without a font file. Anything else counts as wide.
var advance = map[rune]int{
	' ': 278, '!': 278, '"': 355, '#': 556, '$': 556, '%': 889, '&': 667, '\'': 191, '(': 333, ')': 333,
	'*': 389, '+': 584, ',': 278, '-': 333, '.': 278, '/': 278, ':': 278, ';': 278, '<': 584, '=': 584,
	'>': 584, '?': 556, '@': 1015, '’': 222, '‘': 222, '–': 556, '—': 1000,
	'0': 556, '1': 556, '2': 556, '3': 556, '4': 556, '5': 556, '6': 556, '7': 556, '8': 556, '9': 556,
	'A': 667, 'B': 667, 'C': 722, 'D': 722, 'E': 667, 'F': 611, 'G': 778, 'H': 722, 'I': 278, 'J': 500,
	'K': 667, 'L': 556, 'M': 833, 'N': 722, 'O': 778, 'P': 667, 'Q': 778, 'R': 722, 'S': 667, 'T': 611,
	'U': 722, 'V': 667, 'W': 944, 'X': 667, 'Y': 667, 'Z': 611,
	'a': 556, 'b': 556, 'c': 500, 'd': 556, 'e': 556, 'f': 278, 'g': 556, 'h': 556, 'i': 222, 'j': 222,
	'k': 500, 'l': 222, 'm': 833, 'n': 556, 'o': 556, 'p': 556, 'q': 556, 'r': 333, 's': 500, 't': 278,
	'u': 556, 'v': 500, 'w': 722, 'x': 500, 'y': 500, 'z': 500,
}

// textWidth estimates a string's width at a font size; bold Arial is about 7% wider.
func textWidth(s string, size float64, bold bool) float64 {
	total := 0
	for _, r := range s {
		if a, ok := advance[r]; ok {
			total += a
		} else {
			total += 800
		}
	}
	w := float64(total) / 1000 * size
	if bold {
		w *= 1.07
	}
	return w
}

// wrap breaks a label into lines no wider than max where it can (a single long word keeps
// its own line).
func wrap(s string, size, max float64) []string {
	var lines []string
	line := ""
	for _, word := range strings.Fields(s) {
		if line != "" && textWidth(line+" "+word, size, false) > max {
			lines = append(lines, line)
			line = word
			continue
		}
		if line == "" {
			line = word
		} else {
			line += " " + word
		}
	}
	if line != "" || len(lines) == 0 {
		lines = append(lines, line)
	}
	return lines
}
