package console

// home shows what the person's roles open: the first of their pages, or a page saying
// they have none.
func (c *Console) home(cl *call) (view, error) {
	if cl.sess.YoungPerson != "" {
		return c.mine(cl)
	}
	return view{template: "home", title: "carepath", data: navFor(cl.sess, "")}, nil
}
