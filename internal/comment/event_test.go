package comment

import (
	"testing"
)

func TestEventForStatusChanges(t *testing.T) {
	cases := []struct {
		name     string
		from, to Status
		want     EventType
	}{
		{"a new approved comment is published", "", StatusApproved, EventPublished},
		{"a new held comment says nothing", "", StatusPending, ""},
		{"approving publishes", StatusPending, StatusApproved, EventPublished},
		{"not-spam publishes", StatusSpam, StatusApproved, EventPublished},
		{"rejecting a published comment unpublishes", StatusApproved, StatusRejected, EventUnpublished},
		{"spam on a published comment unpublishes", StatusApproved, StatusSpam, EventUnpublished},
		{"deleting a published comment unpublishes", StatusApproved, StatusDeleted, EventUnpublished},
		{"rejecting a held comment says nothing", StatusPending, StatusRejected, ""},
		{"no change says nothing", StatusApproved, StatusApproved, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := EventFor(tc.from, tc.to); got != tc.want {
				t.Errorf("EventFor(%q, %q) = %q, want %q", tc.from, tc.to, got, tc.want)
			}
		})
	}
}
