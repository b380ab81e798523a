package console

import (
	"strings"

	pb "github.com/carepath/carepath/proto/gen/go/carepath/v1"
)

// Words for young people. Short sentences, no jargon; every code the API uses is said in
// plain English, and the legal name follows in brackets where a young person will meet it.
// The tests check the reading age of the pages these words make.

// stage is what happens at one age.
type stage struct {
	Age   int
	Title string
	Text  []string
}

// stages are what happens at 16, 18, 21 and 25.
var stages = []stage{
	{16, "At 16", []string{
		"You get a personal adviser. They help you plan for being an adult.",
		"You and your adviser write your pathway plan. It says what help you will get, and when.",
		"Your plan is checked at least every six months. You can ask for a check sooner.",
	}},
	{18, "At 18", []string{
		"You become an adult. You stop being in care, but the council still helps you.",
		"You can stay with your foster carers if you all agree. This is called Staying Put.",
		"You choose who your information is shared with for housing and work.",
	}},
	{21, "At 21", []string{
		"Your personal adviser can keep helping you until you are 25.",
		"If you stopped seeing them, you can ask for help again at any time.",
	}},
	{25, "At 25", []string{
		"Support from your personal adviser ends.",
		"Your adviser will tell you where to get help after that.",
	}},
}

// statusForYou says a care-leaver status to the young person it is about.
var statusForYou = map[pb.CareLeaverStatus_Category]string{
	pb.CareLeaverStatus_NONE:             "You are not a care leaver. Ask your social worker if you think this is wrong.",
	pb.CareLeaverStatus_NOT_YET_ELIGIBLE: "You are in care. Your support for leaving care starts at 16.",
	pb.CareLeaverStatus_ELIGIBLE:         "You are in care and aged 16 or 17. You have a right to help with leaving care.",
	pb.CareLeaverStatus_RELEVANT:         "You have left care and are aged 16 or 17. The council must still help you.",
	pb.CareLeaverStatus_FORMER_RELEVANT:  "You are a care leaver aged 18 or over. You have a right to help until you are 25.",
	pb.CareLeaverStatus_QUALIFYING:       "You were in care for a short time. You have a right to advice and some help.",
}

// areaForYou is each plan area said to a young person.
var areaForYou = map[pb.MilestoneDefinition_Area]string{
	pb.MilestoneDefinition_CONTACT_AND_SUPPORT:       "Your adviser and your plan",
	pb.MilestoneDefinition_EDUCATION_AND_TRAINING:    "School, college and training",
	pb.MilestoneDefinition_EMPLOYMENT:                "Work",
	pb.MilestoneDefinition_CONTINGENCY:               "If things go wrong",
	pb.MilestoneDefinition_ACCOMMODATION:             "Where you live",
	pb.MilestoneDefinition_RELATIONSHIPS:             "Family and friends",
	pb.MilestoneDefinition_INDEPENDENT_LIVING_SKILLS: "Living on your own",
	pb.MilestoneDefinition_FINANCE:                   "Money",
	pb.MilestoneDefinition_HEALTH:                    "Health",
	pb.MilestoneDefinition_IDENTITY:                  "ID and documents",
}

// helperForYou is who helps with a step, by the kind of agency that owns it.
var helperForYou = map[pb.MilestoneDefinition_AgencyType]string{
	pb.MilestoneDefinition_CHILDRENS_SOCIAL_CARE: "your personal adviser or social worker",
	pb.MilestoneDefinition_VIRTUAL_SCHOOL:        "the virtual school, who help children in care with school and college",
	pb.MilestoneDefinition_SCHOOL_OR_COLLEGE:     "your school or college",
	pb.MilestoneDefinition_NHS:                   "your doctor or nurse",
	pb.MilestoneDefinition_ADULT_SOCIAL_CARE:     "the council's adult care team",
	pb.MilestoneDefinition_HOUSING:               "the housing team",
}

// legalForYou says why a young person was looked after, by SSDA903 legal status.
var legalForYou = map[string]string{
	"C1": "A court said the council should look after you for a while (an interim care order).",
	"C2": "A court said the council should look after you (a care order).",
	"V2": "You were looked after with your family's agreement (section 20).",
	"V3": "You had short breaks away from home.",
	"V4": "You had short breaks away from home.",
	"E1": "A court said you could be placed for adoption.",
	"D1": "A court said you could be placed for adoption.",
	"L1": "The police asked the council to keep you safe.",
	"L2": "A court said the council should keep you safe for a short time.",
	"L3": "A court asked the council to check how you were.",
	"J1": "A court asked the council to house you while your case went on.",
	"J2": "The police asked the council to house you for a short time.",
	"J3": "A court order said where you should live.",
}

// placementForYou says where a young person lived, by SSDA903 placement type.
func placementForYou(code string) string {
	switch {
	case code == "U1" || code == "U2" || code == "U3":
		return "You lived with family or friends who fostered you."
	case strings.HasPrefix(code, "U"):
		return "You lived with foster carers."
	case code == "K2" || code == "R1":
		return "You lived in a children's home."
	case code == "K1":
		return "You lived in a secure children's home."
	case code == "H5" || code == "K3":
		return "You lived in supported housing."
	case code == "P1":
		return "You lived with your parents or family."
	case code == "P2":
		return "You lived on your own, with support."
	case strings.HasPrefix(code, "A"):
		return "You lived with people who planned to adopt you."
	case strings.HasPrefix(code, "T"):
		return "You stayed somewhere else for a short time."
	}
	return "You lived somewhere else. Ask your adviser if you want to know more."
}
