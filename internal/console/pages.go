package console

// extraPages are the pages beyond sign-in, home and the cliff edge, one line each.
func (c *Console) extraPages() []route {
	return []route{
		{"GET " + Prefix + "young-people/{id}", c.page(c.youngPerson)},
		{"GET " + Prefix + "young-people/{id}/milestones/{milestone}", c.page(c.milestone)},
		{"POST " + Prefix + "young-people/{id}/milestones/{milestone}/{action}", c.form(c.milestoneAction)},
		{"GET " + Prefix + "young-people/{id}/facts/{fact}", c.page(c.fact)},
		{"POST " + Prefix + "young-people/{id}/facts/{fact}", c.form(c.recordFact)},
	}
}
