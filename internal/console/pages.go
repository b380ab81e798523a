package console

// extraPages are the pages beyond sign-in, home and the cliff edge, one line each.
func (c *Console) extraPages() []route {
	return []route{
		{"GET " + Prefix + "young-people/{id}", c.page(c.youngPerson)},
		{"GET " + Prefix + "young-people/{id}/milestones/{milestone}", c.page(c.milestone)},
		{"POST " + Prefix + "young-people/{id}/milestones/{milestone}/{action}", c.form(c.milestoneAction)},
		{"GET " + Prefix + "young-people/{id}/facts/{fact}", c.page(c.fact)},
		{"GET " + Prefix + "me", c.page(c.mine)},
		{"GET " + Prefix + "me/sharing", c.page(c.mySharing)},
		{"POST " + Prefix + "me/sharing/{share}/stop", c.form(c.stopSharing)},
		{"POST " + Prefix + "me/sharing/{share}/share", c.form(c.shareAgain)},
		{"POST " + Prefix + "young-people/{id}/facts/{fact}", c.form(c.recordFact)},
	}
}
