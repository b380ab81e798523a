package console

// extraPages are the pages beyond sign-in, home and the cliff edge, one line each.
func (c *Console) extraPages() []route {
	return []route{}
}
