// Package pagetoken makes the opaque page tokens of List methods (AIP-158). A token holds
// the sort key of the last item returned and a fingerprint of the query it belongs to, so a
// token replayed with a different filter (or, later, by a different caller) is refused.
// Tokens carry no authority: every page is authorised afresh.
package pagetoken

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"

	"github.com/carepath/carepath/internal/errs"
)

const version = 1

// Encode returns the token for the page after the item with sort key after, for the query
// whose parameters are query.
func Encode(after string, query ...string) string {
	b := append([]byte{version}, fingerprint(query)...)
	b = append(b, after...)
	return base64.RawURLEncoding.EncodeToString(b)
}

// Decode returns the sort key in token, checking that it was made for the same query.
// The empty token is the first page.
func Decode(token string, query ...string) (after string, err error) {
	if token == "" {
		return "", nil
	}
	b, err := base64.RawURLEncoding.DecodeString(token)
	fp := fingerprint(query)
	if err != nil || len(b) < 1+len(fp) || b[0] != version || !bytes.Equal(b[1:1+len(fp)], fp) {
		return "", Invalid()
	}
	return string(b[1+len(fp):]), nil
}

// Invalid is the error for a page token that was not issued for the request.
func Invalid() error {
	e := errs.New(errs.InvalidArgument, errs.ReasonPageTokenInvalid,
		"the page token is not valid for this request; start again without one")
	e.Violations = []errs.Violation{{Field: "page_token", Description: "was not issued for this query"}}
	return e
}

func fingerprint(query []string) []byte {
	h := sha256.New()
	for _, q := range query {
		h.Write([]byte(q))
		h.Write([]byte{0})
	}
	return h.Sum(nil)[:8]
}
