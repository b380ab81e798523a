package console

import (
	"strings"

	pb "github.com/carepath/carepath/proto/gen/go/carepath/v1"
)

// The administrators' pages: organisations, people, sharing agreements, webhook
// endpoints and their failed deliveries. They are tables of what the API lists for the
// caller, so one template draws them all (adminTable).

type adminTable struct {
	Section  string
	Heading  string
	Intro    string
	Columns  []string
	Rows     []adminRow
	NextPage string
	Empty    string
	Tabs     []navItem
	Done     string
}

type adminRow struct {
	Cells  []adminCell
	Action *adminAction // a button form on the row, such as Redeliver
}

type adminCell struct{ Text, Href string }

type adminAction struct{ URL, Label, ID string }

var adminSections = []struct{ path, label string }{
	{"organisations", "Organisations"}, {"people", "People"},
	{"sharing-agreements", "Sharing agreements"}, {"webhooks", "Webhooks"},
}

func adminTabs(current string) []navItem {
	var out []navItem
	for _, s := range adminSections {
		out = append(out, navItem{Href: Prefix + "admin/" + s.path, Label: s.label, Current: s.path == current})
	}
	return out
}

func (c *Console) adminHome(cl *call) (view, error) {
	return c.adminOrganisations(cl)
}

func (c *Console) adminView(section string, t adminTable) view {
	t.Section, t.Tabs = section, adminTabs(section)
	return view{template: "admin", title: t.Heading + " – Administration", data: t}
}

func nextPage(path, token string) string {
	if token == "" {
		return ""
	}
	return Prefix + path + "?page=" + token
}

func (c *Console) adminOrganisations(cl *call) (view, error) {
	res, err := c.clients.access.ListOrganisations(cl.ctx, &pb.ListOrganisationsRequest{PageSize: 25, PageToken: cl.r.URL.Query().Get("page")})
	if err != nil {
		return view{}, err
	}
	t := adminTable{Heading: "Organisations", Columns: []string{"Name", "Type", "Id"}, Empty: "You manage no organisations.",
		NextPage: nextPage("admin/organisations", res.GetNextPageToken())}
	for _, o := range res.GetOrganisations() {
		t.Rows = append(t.Rows, adminRow{Cells: []adminCell{{Text: o.GetDisplayName()}, {Text: codeWords(o.GetType().String())}, {Text: lastSegment(o.GetName())}}})
	}
	return c.adminView("organisations", t), nil
}

func (c *Console) adminPeople(cl *call) (view, error) {
	res, err := c.clients.access.ListPeople(cl.ctx, &pb.ListPeopleRequest{PageSize: 25, PageToken: cl.r.URL.Query().Get("page")})
	if err != nil {
		return view{}, err
	}
	t := adminTable{Heading: "People", Columns: []string{"Name", "Organisation", "Team", "Roles", "Status"}, Empty: "You manage no people.",
		NextPage: nextPage("admin/people", res.GetNextPageToken())}
	for _, p := range res.GetPeople() {
		var roles []string
		for _, r := range p.GetRoles() {
			roles = append(roles, codeWords(r.String()))
		}
		state := "Active"
		if p.GetDisabled() {
			state = "Disabled"
		}
		t.Rows = append(t.Rows, adminRow{Cells: []adminCell{{Text: p.GetDisplayName()}, {Text: lastSegment(p.GetOrganisation())},
			{Text: p.GetTeam()}, {Text: strings.Join(roles, ", ")}, {Text: state}}})
	}
	return c.adminView("people", t), nil
}

func (c *Console) adminAgreements(cl *call) (view, error) {
	res, err := c.clients.sharing.ListSharingAgreements(cl.ctx, &pb.ListSharingAgreementsRequest{PageSize: 25, PageToken: cl.r.URL.Query().Get("page")})
	if err != nil {
		return view{}, err
	}
	t := adminTable{Heading: "Sharing agreements", Columns: []string{"Council", "Partner", "Purpose", "From", "To"},
		Empty: "There are no sharing agreements.", NextPage: nextPage("admin/sharing-agreements", res.GetNextPageToken())}
	for _, a := range res.GetSharingAgreements() {
		t.Rows = append(t.Rows, adminRow{Cells: []adminCell{{Text: partnerName(a.GetCouncil())}, {Text: partnerName(a.GetPartner())},
			{Text: codeWords(a.GetPurpose().String())}, {Text: formatDate(a.GetStartDate())}, {Text: formatDate(a.GetEndDate())}}})
	}
	return c.adminView("sharing-agreements", t), nil
}

func (c *Console) adminWebhooks(cl *call) (view, error) {
	res, err := c.clients.reminders.ListWebhookEndpoints(cl.ctx, &pb.ListWebhookEndpointsRequest{
		Parent: "organisations/" + cl.sess.Organisation, PageSize: 25, PageToken: cl.r.URL.Query().Get("page")})
	if err != nil {
		return view{}, err
	}
	t := adminTable{Heading: "Webhooks", Intro: "Where your organisation's reminders are sent. Open one to see the deliveries that failed.",
		Columns: []string{"Address", "Description", "Status"}, Empty: "Your organisation has no webhook endpoints.",
		NextPage: nextPage("admin/webhooks", res.GetNextPageToken())}
	for _, e := range res.GetWebhookEndpoints() {
		state := "Sending"
		if e.GetDisabled() {
			state = "Turned off"
		}
		t.Rows = append(t.Rows, adminRow{Cells: []adminCell{{Text: e.GetUrl(), Href: Prefix + "admin/webhooks/" + lastSegment(e.GetName())},
			{Text: e.GetDescription()}, {Text: state}}})
	}
	return c.adminView("webhooks", t), nil
}

// adminDeliveries are one endpoint's failed deliveries, each with Redeliver.
func (c *Console) adminDeliveries(cl *call) (view, error) {
	endpoint := "organisations/" + cl.sess.Organisation + "/webhookEndpoints/" + cl.r.PathValue("id")
	res, err := c.clients.reminders.ListWebhookDeliveries(cl.ctx, &pb.ListWebhookDeliveriesRequest{Parent: endpoint,
		States: []pb.WebhookDelivery_State{pb.WebhookDelivery_FAILED}, PageSize: 25, PageToken: cl.r.URL.Query().Get("page")})
	if err != nil {
		return view{}, err
	}
	t := adminTable{Heading: "Failed deliveries", Columns: []string{"Created", "Last error"}, Empty: "No delivery to this endpoint has failed.",
		NextPage: nextPage("admin/webhooks/"+cl.r.PathValue("id"), res.GetNextPageToken()),
		Done:     map[string]string{"redelivered": "The delivery will be sent again."}[cl.r.URL.Query().Get("done")]}
	for _, d := range res.GetWebhookDeliveries() {
		id := lastSegment(d.GetName())
		t.Rows = append(t.Rows, adminRow{Cells: []adminCell{{Text: d.GetCreateTime().AsTime().Format("2 January 2006 at 3:04pm")}, {Text: d.GetLastError()}},
			Action: &adminAction{URL: Prefix + "admin/webhooks/" + cl.r.PathValue("id") + "/deliveries/" + id + "/redeliver", Label: "Redeliver", ID: "redeliver-" + id}})
	}
	return c.adminView("webhooks", t), nil
}

func (c *Console) redeliver(cl *call) (redirect, view, error) {
	endpoint := cl.r.PathValue("id")
	name := "organisations/" + cl.sess.Organisation + "/webhookEndpoints/" + endpoint + "/deliveries/" + cl.r.PathValue("delivery")
	if _, err := c.clients.reminders.RedeliverWebhookDelivery(cl.ctx, &pb.RedeliverWebhookDeliveryRequest{Name: name}); err != nil {
		return "", view{}, err
	}
	return redirect(Prefix + "admin/webhooks/" + endpoint + "?done=redelivered"), view{}, nil
}
