package demo

import (
	"context"
	"fmt"
	"time"

	"github.com/carepath/carepath/internal/domain"
	"github.com/carepath/carepath/internal/domain/catalogue"
	"github.com/carepath/carepath/internal/store"
)

// localOffer is the demo council's local offer: plain English, and nothing claimed that is
// not true of care leavers in England generally; where the detail is local, the young person
// is asked to check with their personal adviser.
var localOffer = []domain.LocalOfferEntry{
	{Title: "Your personal adviser until you are 25", Area: catalogue.ContactAndSupport, FromAge: 18, ToAge: 25,
		Body: "You can have a personal adviser until you are 25. If you stopped seeing them after 21, you can ask for one again at any time, and we will talk with you about the help you need."},
	{Title: "Money to set up your first home", Area: catalogue.Finance, FromAge: 16, ToAge: 25,
		Body: "When you move into your own home, the council gives a setting-up-home allowance to help you buy what you need, like a bed, a cooker and pans. Ask your personal adviser how much it is and how to use it."},
	{Title: "Council tax", Area: catalogue.Finance, FromAge: 18, ToAge: 25,
		Body: "Many care leavers do not have to pay council tax until they are 25. Ask your personal adviser whether this applies where you live and how to claim it."},
	{Title: "Staying with your foster carers after 18", Area: catalogue.Accommodation, FromAge: 17, ToAge: 21,
		Body: "If you live with foster carers, you may be able to stay with them after you turn 18, until you are 21 (this is called Staying Put). Talk to your social worker or personal adviser before your 18th birthday."},
	{Title: "Help with college and university", Area: catalogue.EducationAndTraining, FromAge: 16, ToAge: 25,
		Body: "At college you can ask for a bursary to help with travel, books and food. If you go to university, the council pays you a bursary of at least 2,000 pounds. Your personal adviser can help you apply."},
	{Title: "Starting an apprenticeship", Area: catalogue.Employment, FromAge: 16, ToAge: 24,
		Body: "Care leavers who start an apprenticeship can get a one-off bursary from the government. Ask your training provider or personal adviser how to claim it."},
	{Title: "Your GP and your health history", Area: catalogue.Health, FromAge: 16, ToAge: 25,
		Body: "Your personal adviser can help you register with a GP and a dentist near where you live, and ask for a summary of your health history so that you have it."},
	{Title: "Help when the office is closed", Area: catalogue.Contingency, FromAge: 16, ToAge: 25,
		Body: "If you need help urgently at night or at the weekend, call the council's out-of-hours emergency duty team. Your personal adviser will give you the number to keep in your phone."},
}

// loadLocalOffer adds what is missing of the demo council's local offer.
func loadLocalOffer(ctx context.Context, tx store.Tx, now time.Time) error {
	for i, e := range localOffer {
		e.ID, e.CouncilID, e.CreateTime, e.UpdateTime = fmt.Sprintf("d3e1b000-0000-4000-8000-0000000000%02d", i+1), CouncilID, now, now
		if err := ensure(func() error { _, err := tx.GetLocalOfferEntry(ctx, CouncilID, e.ID); return err },
			func() error { _, err := tx.CreateLocalOfferEntry(ctx, e); return err }); err != nil {
			return err
		}
	}
	return nil
}
