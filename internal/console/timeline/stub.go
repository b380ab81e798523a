package timeline

import (
	"html/template"
	"time"
)

type State int

const (
	Achieved State = iota
	Scheduled
	Overdue
	Future
	Closed
)

type Item struct {
	Title string
	Area  string
	Due   time.Time
	Done  time.Time
	State State
	Href  string
}
type Input struct {
	Birth, Today time.Time
	Areas        []string
	Items        []Item
	Title        string
}

func Render(in Input) (template.HTML, error) { return `<svg role="img" aria-label="x"></svg>`, nil }
