package convert

import (
	"testing"

	"google.golang.org/genproto/googleapis/type/date"
	"google.golang.org/protobuf/proto"

	"github.com/carepath/carepath/internal/domain/civil"
	pb "github.com/carepath/carepath/proto/gen/go/carepath/v1"
)

// KeyDates allocates its messages together; each must still be its own, with its age's
// label and date, as if made one by one.
func TestKeyDatesAreEachAgesLabelAndDate(t *testing.T) {
	dob := civil.New(2012, 2, 29) // a leapling, so the rule shows
	for _, rule := range []civil.LeaplingRule{civil.MarchFirst, civil.FebruaryTwentyEighth} {
		got := KeyDates(dob, rule)
		if len(got) != len(civil.KeyAges) {
			t.Fatalf("%d key dates, want %d", len(got), len(civil.KeyAges))
		}
		for i, age := range civil.KeyAges {
			d := civil.Attains(dob, age, rule)
			want := &pb.KeyDate{Age: age.String(), Date: &date.Date{Year: int32(d.Year), Month: int32(d.Month), Day: int32(d.Day)}}
			if !proto.Equal(got[i], want) {
				t.Errorf("rule %v, key date %d: %v, want %v", rule, i, got[i], want)
			}
		}
		got[0].Date.Year = 1900
		if got[1].GetDate().GetYear() == 1900 || KeyDates(dob, rule)[0].GetDate().GetYear() == 1900 {
			t.Error("key dates share their messages")
		}
	}
}
