package comment

import "testing"

func TestTallyFollowsStatus(t *testing.T) {
	for _, tt := range []struct {
		from, to Status
		want     Tally
	}{
		{"", StatusApproved, Tally{Approved: 1}},
		{"", StatusSpam, Tally{Spam: 1}},
		{"", StatusPending, Tally{}},
		{StatusPending, StatusApproved, Tally{Approved: 1}},
		{StatusApproved, StatusSpam, Tally{Approved: -1, Spam: 1}},
		{StatusSpam, StatusApproved, Tally{Approved: 1, Spam: -1}},
		{StatusApproved, StatusRejected, Tally{Approved: -1}},
		{StatusSpam, StatusDeleted, Tally{Spam: -1}},
		{StatusRejected, StatusDeleted, Tally{}},
	} {
		if got := tt.to.Tally().Minus(tt.from.Tally()); got != tt.want {
			t.Errorf("%q -> %q moves the counts by %+v, want %+v", tt.from, tt.to, got, tt.want)
		}
	}
}

func TestStatusCountsTally(t *testing.T) {
	for _, tt := range []struct {
		counts StatusCounts
		want   Tally
	}{
		{nil, Tally{}},
		{StatusCounts{StatusPending: 3, StatusRejected: 1, StatusDeleted: 2}, Tally{}},
		{StatusCounts{StatusApproved: 2, StatusSpam: 5, StatusPending: 1}, Tally{Approved: 2, Spam: 5}},
	} {
		if got := tt.counts.Tally(); got != tt.want {
			t.Errorf("%v tallies %+v, want %+v", tt.counts, got, tt.want)
		}
	}
}
