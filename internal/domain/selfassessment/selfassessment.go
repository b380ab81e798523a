// Package selfassessment is the catalogue of "I can..." checklists a young person answers
// about their own skills for living independently, in the eight areas the best care-leaver
// self-assessment tools use (housing, health, relationships, activities, finances, careers,
// independence, identity), and which readiness facts a young person's answers confirm.
//
// Which facts: a fact is confirmed when every item that supports it is ticked. Only facts
// whose meaning the young person can honestly confirm themself are linked, and each link is
// written next to the items:
//
//   - finances, the whole list → finance.budgeting_support: the young person can budget,
//     pay bills and knows where to get help with money, which is what budgeting support
//     is for;
//   - the two finances items on the setting-up-home allowance and council tax →
//     finance.entitlements_explained: they say they know them;
//   - housing, the whole list → accommodation.tenancy_training: they know what a tenancy
//     asks of them (the record says it was confirmed by the young person, not a course
//     certificate);
//   - "who to call at night" (relationships) and "what happens if I have to leave my home"
//     (housing) → contingency.out_of_hours_contact.
//
// Health, activities, careers, independence and identity confirm no fact: their facts
// (GP registration, ID documents, National Insurance number) are recorded by milestones or
// by staff who have seen the evidence.
package selfassessment

import (
	"slices"
	"strings"

	"github.com/carepath/carepath/internal/domain/readiness"
)

// Item is one "I can..." statement.
type Item struct {
	// Key is stable: answers are stored under it. It is "{area}.{item}".
	Key       string
	Statement string
	// Facts are the readiness facts this item supports on its own (besides the checklist's).
	Facts []string
}

// Checklist is the checklist of one area.
type Checklist struct {
	Area  string
	Title string
	Items []Item
	// Facts are the readiness facts the whole checklist, complete, confirms.
	Facts []string
}

// The areas.
const (
	Housing       = "housing"
	Health        = "health"
	Relationships = "relationships"
	Activities    = "activities"
	Finances      = "finances"
	Careers       = "careers"
	Independence  = "independence"
	Identity      = "identity"
)

func item(area, key, statement string, facts ...string) Item {
	return Item{Key: area + "." + key, Statement: statement, Facts: facts}
}

var checklists = []Checklist{
	{Area: Housing, Title: "My home", Facts: []string{readiness.FactTenancyTraining}, Items: []Item{
		item(Housing, "tenancy_agreement", "I know what a tenancy agreement is and what mine asks me to do."),
		item(Housing, "pay_rent", "I know how to pay my rent and what happens if I miss it."),
		item(Housing, "report_repair", "I know how to report a repair to my landlord."),
		item(Housing, "keep_safe", "I know how to keep my home safe, like testing the smoke alarm and locking up."),
		item(Housing, "leave_in_a_hurry", "I know what will happen if I have to leave my home in a hurry.", readiness.FactOutOfHours),
	}},
	{Area: Health, Title: "My health", Items: []Item{
		item(Health, "register_gp", "I know how to register with a GP and a dentist."),
		item(Health, "health_history", "I have my health history, or know how to ask for it."),
		item(Health, "prescriptions", "I know how to get a prescription and pay for it, or get help with the cost."),
		item(Health, "feeling_low", "I know who to talk to if I feel low or worried."),
		item(Health, "emergency", "I know when to call 111 and when to call 999."),
	}},
	{Area: Relationships, Title: "People in my life", Items: []Item{
		item(Relationships, "who_to_call_at_night", "I know who to call at night or at the weekend if I need help.", readiness.FactOutOfHours),
		item(Relationships, "trusted_adult", "I have at least one adult I trust who I can talk to."),
		item(Relationships, "healthy_relationships", "I know what a safe and healthy relationship looks like."),
		item(Relationships, "family_contact", "I know how to keep in touch with the family and friends I want to see."),
	}},
	{Area: Activities, Title: "Things I do", Items: []Item{
		item(Activities, "hobby", "I have something I enjoy doing in my free time."),
		item(Activities, "find_activities", "I know how to find clubs, sport or groups near me."),
		item(Activities, "travel", "I can plan a journey on a bus or train on my own."),
		item(Activities, "volunteering", "I know how to find volunteering if I want to try it."),
	}},
	{Area: Finances, Title: "My money", Facts: []string{readiness.FactBudgeting}, Items: []Item{
		item(Finances, "weekly_budget", "I can make a weekly budget and stick to it."),
		item(Finances, "bank_account", "I can use my bank account and check what is in it."),
		item(Finances, "pay_bills", "I know which bills I have to pay and when."),
		item(Finances, "money_help", "I know where to get help if I get into debt."),
		item(Finances, "setting_up_home", "I know what my setting-up-home allowance is for and how to ask for it.", readiness.FactEntitlements),
		item(Finances, "council_tax", "I know I may not have to pay council tax until I am 25, and who to ask.", readiness.FactEntitlements),
	}},
	{Area: Careers, Title: "Work and learning", Items: []Item{
		item(Careers, "next_step", "I know what I want to do next: study, training or work."),
		item(Careers, "cv", "I have a CV, or know how to write one."),
		item(Careers, "apply", "I know how to look for and apply for a job or course."),
		item(Careers, "bursary", "I know about the bursary for care leavers at college or university."),
	}},
	{Area: Independence, Title: "Looking after myself", Items: []Item{
		item(Independence, "cook", "I can cook a few cheap, healthy meals."),
		item(Independence, "shop", "I can do a food shop on a budget."),
		item(Independence, "laundry", "I can wash and dry my clothes."),
		item(Independence, "appointments", "I can make and keep appointments on my own."),
		item(Independence, "letters", "I can read official letters and know who to ask if I do not understand them."),
	}},
	{Area: Identity, Title: "Who I am", Items: []Item{
		item(Identity, "documents", "I know where my birth certificate and passport or ID are kept."),
		item(Identity, "ni_number", "I know my National Insurance number."),
		item(Identity, "my_story", "I know I can ask to see my records and hear my own story."),
		item(Identity, "register_to_vote", "I know how to register to vote."),
	}},
}

// All returns the eight checklists, in order.
func All() []Checklist { return slices.Clone(checklists) }

// Lookup returns the checklist of an area.
func Lookup(area string) (Checklist, bool) {
	i := slices.IndexFunc(checklists, func(c Checklist) bool { return c.Area == area })
	if i < 0 {
		return Checklist{}, false
	}
	return checklists[i], true
}

// LookupItem returns the item with the key.
func LookupItem(key string) (Item, bool) {
	area, _, _ := strings.Cut(key, ".")
	c, ok := Lookup(area)
	if !ok {
		return Item{}, false
	}
	i := slices.IndexFunc(c.Items, func(it Item) bool { return it.Key == key })
	if i < 0 {
		return Item{}, false
	}
	return c.Items[i], true
}

// Complete reports whether every item of the checklist is ticked in canDo (by key).
func (c Checklist) Complete(canDo map[string]bool) bool {
	for _, it := range c.Items {
		if !canDo[it.Key] {
			return false
		}
	}
	return true
}

// supports returns the keys of the items that support each fact, across all checklists.
func supports() map[string][]string {
	out := map[string][]string{}
	for _, c := range checklists {
		for _, it := range c.Items {
			for _, f := range c.Facts {
				out[f] = append(out[f], it.Key)
			}
			for _, f := range it.Facts {
				if !slices.Contains(out[f], it.Key) {
					out[f] = append(out[f], it.Key)
				}
			}
		}
	}
	return out
}

// Facts returns every fact the catalogue can confirm, in key order.
func Facts() []string {
	var out []string
	for f := range supports() {
		out = append(out, f)
	}
	slices.Sort(out)
	return out
}

// FactsOf returns the facts the checklist's items support, in key order.
func (c Checklist) FactsOf() []string {
	var out []string
	for f, keys := range supports() {
		if slices.ContainsFunc(keys, func(k string) bool { return strings.HasPrefix(k, c.Area+".") }) {
			out = append(out, f)
		}
	}
	slices.Sort(out)
	return out
}

// Confirmed returns, for every fact the catalogue can confirm, whether the answers (by
// key) confirm it: every item that supports it is ticked.
func Confirmed(canDo map[string]bool) map[string]bool {
	out := map[string]bool{}
	for f, keys := range supports() {
		out[f] = !slices.ContainsFunc(keys, func(k string) bool { return !canDo[k] })
	}
	return out
}
