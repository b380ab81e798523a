package demo

import (
	"github.com/carepath/carepath/internal/domain/catalogue"
)

// strategy is the demo council's partnership strategy, the source of its own milestones and
// ambitions.
const strategy = "http://www.nottinghamshire.gov.uk/care/childrens-social-care/nottinghamshire-childrens-trust/looked-after-children-care-leavers"

// CouncilSettings are the demo council's pathway settings: what the shipped, national
// catalogue leaves to a council. Nottinghamshire's partnership strategy for looked-after
// children and care leavers (2018-21) promises work experience to every child in care from
// 13 and an apprenticeship or job offer to care leavers, and sets six ambitions its
// partnership board counts readiness against.
func CouncilSettings() catalogue.Settings {
	return catalogue.Settings{
		Local: []catalogue.Definition{
			{Key: "local.work_experience.offer", Title: "Offer work experience or a workplace activity",
				Description: "Nottinghamshire promises work experience to every child in care aged 13 and over. Arrange an " +
					"offer within six months of the 13th birthday and refresh it each year.",
				Area: catalogue.Employment, Owner: "VIRTUAL_SCHOOL", Due: rule("age 13 + 6m every 1y until age 18"),
				Applies: []catalogue.Condition{{Name: catalogue.CondLookedAfter}},
				Basis:   "Nottinghamshire LAC and care leavers partnership strategy 2018-21 (work experience for every child in care aged 13+)",
				Sources: []string{strategy}},
			{Key: "local.apprenticeship.offer", Title: "Offer an apprenticeship or employment opportunity",
				Description: "Nottinghamshire commits that care leavers will be offered apprenticeships and employment. Make " +
					"a concrete offer through the council and its partners, and repeat it each year for anyone not in " +
					"education, employment or training.",
				Area: catalogue.Employment, Owner: "EMPLOYER_OR_TRAINING_PROVIDER", Due: rule("age 17y6m every 1y until age 21"),
				Applies: []catalogue.Condition{{Name: catalogue.CondCareLeaver}},
				Basis:   "Nottinghamshire LAC and care leavers partnership strategy 2018-21 (apprenticeships and employment offered to care leavers)",
				Sources: []string{strategy}},
		},
		Ambitions: []catalogue.Ambition{
			{Key: "A1", Title: "Looked after children and care leavers are safe and feel safe",
				Milestones: []string{"age16.pa.introduce", "age16.needs_assessment", "age16.pathway_plan", "plan.review",
					"relevant.needs_assessment", "age16_6.staying_put.decision", "uasc.triple_plan", "uasc.legal_representation",
					"uasc.leave_extension", "housing.protocol_referral", "age17_6.cliff_edge.review",
					"age17_9.accommodation.confirmed", "age17_9.staying_put.agreement", "housing.tenancy.pa_visit"},
				Checks: []string{"accommodation", "immigration", "contingency"}},
			{Key: "A2", Title: "Looked after children and care leavers experience good physical, emotional and mental health and wellbeing",
				Milestones: []string{"y9.health.transition_start", "health.review_assessment", "careact.s58.consider",
					"careact.s58.outcome", "age16.needs_assessment", "age16.pathway_plan", "plan.review",
					"relevant.needs_assessment", "age17_6.cliff_edge.review", "health.camhs_transfer_plan",
					"health.history_summary", "health.gp_dentist"},
				Checks: []string{"health"}},
			{Key: "A3", Title: "Looked after children and care leavers fulfil their potential",
				Milestones: []string{"local.work_experience.offer", "y9.pep.options", "y9.careers.guidance", "y9.ehcp.pfa_review",
					"ks4.work_experience.placement", "lac.pep.review", "age16.needs_assessment", "age16.pathway_plan",
					"plan.review", "relevant.needs_assessment", "age16.post16.enrolment", "age16.bursary_16_19",
					"age17_6.cliff_edge.review", "eet.he.course.start", "eet.he.bursary", "age21.education.continued_support"},
				Checks: []string{"education_employment"}},
			{Key: "A4", Title: "Looked after children and care leavers make a positive contribution to their communities",
				Milestones: []string{"age14.voice.participation", "age16.needs_assessment", "age16.pathway_plan", "plan.review",
					"relevant.needs_assessment", "age17_6.vote.register", "age17_6.cliff_edge.review", "age17_6.local_offer.share"}},
			{Key: "A5", Title: "Looked after children and care leavers have a successful transition to adulthood",
				Milestones: []string{"y9.ehcp.pfa_review", "y9.health.transition_start", "age14.eligibility.clock",
					"careact.s58.consider", "careact.s58.outcome", "age15_9.provisional_licence.offer", "age16.pa.introduce",
					"age16.needs_assessment", "age16.pathway_plan", "plan.review", "relevant.needs_assessment",
					"age16.skills.programme", "age16_6.staying_put.decision", "uasc.triple_plan", "uasc.legal_representation",
					"uasc.leave_extension", "age17.id.documents", "data.oc3.birthday", "housing.protocol_referral",
					"age17_6.cliff_edge.review", "age17_6.local_offer.share", "age17_9.accommodation.confirmed",
					"age17_9.staying_put.agreement", "age18.transition", "housing.tenancy.start",
					"housing.tenancy.setting_up_home", "age20_6.pre21.review", "age21.offer_to_25.contact", "age24_6.exit.plan"},
				Checks: []string{"plan_reviewed", "personal_adviser", "accommodation", "identity", "immigration",
					"money_and_skills", "contingency"}},
			{Key: "A6", Title: "Looked after children and care leavers achieve sustained and fulfilling employment and economic independence",
				Milestones: []string{"local.work_experience.offer", "y9.careers.guidance", "ks4.work_experience.placement",
					"age15_9.nino.apply", "age16.needs_assessment", "age16.pathway_plan", "plan.review",
					"relevant.needs_assessment", "age16.post16.enrolment", "age16.bursary_16_19", "age16.jisa.control",
					"age17.bank_account", "data.oc3.birthday", "age17_6.cliff_edge.review", "age17_9.income.plan",
					"age18.jisa.access", "housing.tenancy.council_tax", "local.apprenticeship.offer", "eet.apprenticeship.start",
					"eet.apprenticeship.bursary", "eet.he.bursary", "age21.education.continued_support"},
				Checks: []string{"income", "identity", "education_employment", "money_and_skills"}},
		},
	}
}

func rule(s string) catalogue.DueRule {
	r, err := catalogue.ParseDueRule(s)
	if err != nil {
		panic("demo: " + err.Error()) // caught by the tests
	}
	return r
}
