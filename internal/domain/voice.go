package domain

import (
	"time"

	"github.com/carepath/carepath/internal/domain/catalogue"
	"github.com/carepath/carepath/internal/domain/civil"
)

// Feeling is how a young person feels about an area of their pathway plan.
type Feeling string

const (
	FeelingUnsaid  Feeling = ""
	FeelingGood    Feeling = "GOOD"
	FeelingOK      Feeling = "OK"
	FeelingWorried Feeling = "WORRIED"
	FeelingNotSure Feeling = "NOT_SURE"
)

// View is what a young person wants, and how they feel, about one area of their pathway
// plan: what the plan's review must consider. There is at most one per young person and
// area; a new view replaces the old.
type View struct {
	YoungPersonID string
	Area          catalogue.Area
	Wants         string
	Feeling       Feeling
	// Author is who wrote it last: the young person, or staff writing it down with them.
	Author     string
	UpdateTime time.Time
	Revision   int64
}

// Goal is a goal a young person has set themself.
type Goal struct {
	ID            string
	YoungPersonID string
	Title         string
	// Area is the plan area it belongs to; "" for none.
	Area       catalogue.Area
	TargetDate civil.Date
	Done       bool
	Author     string
	CreateTime time.Time
	UpdateTime time.Time
	Revision   int64
}

// SkillAnswer is a young person's answer to one item of a self-assessment checklist
// (domain/selfassessment): whether they say they can.
type SkillAnswer struct {
	YoungPersonID string
	// Key is the item's key, such as "finances.weekly_budget".
	Key        string
	CanDo      bool
	Author     string
	UpdateTime time.Time
}

// LocalOfferEntry is one entry of what a council publishes to its care leavers, for the
// ages FromAge to ToAge inclusive.
type LocalOfferEntry struct {
	ID         string
	CouncilID  string
	Title      string
	Body       string
	Area       catalogue.Area
	FromAge    int
	ToAge      int
	Link       string
	CreateTime time.Time
	UpdateTime time.Time
	Revision   int64
}

// ForAge reports whether the entry is for someone aged age.
func (e LocalOfferEntry) ForAge(age int) bool { return e.FromAge <= age && age <= e.ToAge }

// AdviserSupportRequest is a former relevant young person's request, from 21, for a
// personal adviser's help again (Children Act 1989 s23CZB). It is kept with the reminders
// it raised, so the request is never lost.
type AdviserSupportRequest struct {
	ID            string
	YoungPersonID string
	CouncilID     string
	Message       string
	Requester     string
	// Recipients are who the reminder went to.
	Recipients []Recipient
	CreateTime time.Time
}
