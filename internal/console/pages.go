package console

// extraPages are the pages beyond sign-in, home and the cliff edge, one line each.
func (c *Console) extraPages() []route {
	return []route{
		{"GET " + Prefix + "young-people/{id}", c.page(c.youngPerson)},
		{"GET " + Prefix + "young-people/{id}/milestones/{milestone}", c.page(c.milestone)},
		{"POST " + Prefix + "young-people/{id}/milestones/{milestone}/{action}", c.form(c.milestoneAction)},
		{"GET " + Prefix + "young-people/{id}/facts/{fact}", c.page(c.fact)},
		{"GET " + Prefix + "caseload", c.page(c.caseload)},
		{"GET " + Prefix + "reminders", c.page(c.reminders)},
		{"POST " + Prefix + "reminders/{reminder}/{action}", c.form(c.reminderAction)},
		{"GET " + Prefix + "board", c.page(c.board)},
		{"GET " + Prefix + "shared", c.page(c.shared)},
		{"GET " + Prefix + "shared/{id}", c.page(c.sharedPerson)},
		{"GET " + Prefix + "admin", c.page(c.adminHome)},
		{"GET " + Prefix + "admin/organisations", c.page(c.adminOrganisations)},
		{"GET " + Prefix + "admin/people", c.page(c.adminPeople)},
		{"GET " + Prefix + "admin/sharing-agreements", c.page(c.adminAgreements)},
		{"GET " + Prefix + "admin/webhooks", c.page(c.adminWebhooks)},
		{"GET " + Prefix + "admin/webhooks/{id}", c.page(c.adminDeliveries)},
		{"POST " + Prefix + "admin/webhooks/{id}/deliveries/{delivery}/redeliver", c.form(c.redeliver)},
		{"GET " + Prefix + "me", c.page(c.mine)},
		{"GET " + Prefix + "me/sharing", c.page(c.mySharing)},
		{"POST " + Prefix + "me/help", c.form(c.askForHelp)},
		{"POST " + Prefix + "me/reminders", c.form(c.remindMe)},
		{"GET " + Prefix + "me/voice", c.page(c.myVoice)},
		{"POST " + Prefix + "me/voice/{area}", c.form(c.saveView)},
		{"POST " + Prefix + "me/goals", c.form(c.addGoal)},
		{"POST " + Prefix + "me/goals/{goal}/done", c.form(c.goalDone)},
		{"GET " + Prefix + "me/skills", c.page(c.mySkills)},
		{"POST " + Prefix + "me/skills/{area}", c.form(c.saveSkills)},
		{"POST " + Prefix + "me/sharing/{share}/stop", c.form(c.stopSharing)},
		{"POST " + Prefix + "me/sharing/{share}/share", c.form(c.shareAgain)},
		{"POST " + Prefix + "young-people/{id}/facts/{fact}", c.form(c.recordFact)},
	}
}
