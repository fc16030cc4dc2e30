package moderation

import (
	"testing"

	"github.com/winnow/winnow/internal/comment"
	"github.com/winnow/winnow/internal/site"
)

func TestDecide(t *testing.T) {
	clean, held := comment.Verdict{}, comment.Verdict{Hold: true}
	suspicious, spammy := comment.Verdict{Score: 0.6}, comment.Verdict{Score: 0.95}
	tests := []struct {
		name    string
		v       comment.Verdict
		policy  site.Policy
		trusted bool
		want    comment.Status
	}{
		{"none publishes a clean comment", clean, site.PolicyNone, false, comment.StatusApproved},
		{"all holds a clean comment of a trusted author", clean, site.PolicyAll, true, comment.StatusPending},
		{"first_time holds a newcomer", clean, site.PolicyFirstTime, false, comment.StatusPending},
		{"first_time publishes a returning author", clean, site.PolicyFirstTime, true, comment.StatusApproved},
		{"a rule hold beats the policy", held, site.PolicyNone, true, comment.StatusPending},
		{"a suspicious score is held", suspicious, site.PolicyNone, true, comment.StatusPending},
		{"a spam score is spam even for a trusted author", spammy, site.PolicyFirstTime, true, comment.StatusSpam},
		{"an unknown policy holds", clean, site.Policy("weird"), true, comment.StatusPending},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Decide(tt.v, tt.policy, tt.trusted); got != tt.want {
				t.Errorf("Decide = %s, want %s", got, tt.want)
			}
		})
	}
}

func FuzzDecide(f *testing.F) {
	f.Add(0.5, true, "none", false)
	f.Fuzz(func(t *testing.T, score float64, hold bool, policy string, trusted bool) {
		got := Decide(comment.Verdict{Score: score, Hold: hold}, site.Policy(policy), trusted)
		if got != comment.StatusApproved && got != comment.StatusPending && got != comment.StatusSpam {
			t.Fatalf("Decide gave %q", got)
		}
		if got == comment.StatusApproved && (hold || score >= HoldThreshold) {
			t.Fatalf("published a held or suspicious comment: score %v hold %v", score, hold)
		}
	})
}

func TestAfterEditNeverImproves(t *testing.T) {
	clean, held, spammy := comment.Verdict{}, comment.Verdict{Hold: true}, comment.Verdict{Score: 0.95}
	tests := []struct {
		from comment.Status
		v    comment.Verdict
		want comment.Status
	}{
		{comment.StatusApproved, clean, comment.StatusApproved},
		{comment.StatusApproved, held, comment.StatusPending},
		{comment.StatusApproved, spammy, comment.StatusSpam},
		{comment.StatusPending, clean, comment.StatusPending},
		{comment.StatusPending, spammy, comment.StatusSpam},
		{comment.StatusSpam, clean, comment.StatusSpam},
	}
	if got := AfterEdit(comment.StatusApproved, clean, site.PolicyAll); got != comment.StatusPending {
		t.Errorf("an edit on a site that holds everything stays %s", got)
	}
	for _, tt := range tests {
		if got := AfterEdit(tt.from, tt.v, site.PolicyFirstTime); got != tt.want {
			t.Errorf("AfterEdit(%s, %+v) = %s, want %s", tt.from, tt.v, got, tt.want)
		}
	}
}

func TestHeldByPolicy(t *testing.T) {
	tests := []struct {
		name string
		c    comment.Comment
		want bool
	}{
		{"held, no reasons, no score", comment.Comment{Status: comment.StatusPending}, true},
		{"held, weak score without reasons", comment.Comment{Status: comment.StatusPending, Score: 0.2}, true},
		{"held with a reason", comment.Comment{Status: comment.StatusPending, Reasons: []string{"2 links (the site holds comments with 2 or more)"}}, false},
		{"held by its score", comment.Comment{Status: comment.StatusPending, Score: HoldThreshold}, false},
		{"published", comment.Comment{Status: comment.StatusApproved}, false},
		{"spam", comment.Comment{Status: comment.StatusSpam}, false},
	}
	for _, tt := range tests {
		if got := HeldByPolicy(tt.c); got != tt.want {
			t.Errorf("%s: HeldByPolicy = %v, want %v", tt.name, got, tt.want)
		}
	}
}
