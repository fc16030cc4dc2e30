// Package moderation turns verdicts into statuses and carries out moderator decisions:
// each decision changes a comment's status, appends to the audit log, moves the
// author's reputation and writes the webhook event it builds (comment.Notice) in one
// transaction, through the Store it declares.
package moderation

import (
	"github.com/winnow/winnow/internal/comment"
	"github.com/winnow/winnow/internal/site"
)

// Score thresholds. At or above SpamThreshold a comment goes to the spam queue; at or
// above HoldThreshold it waits for a moderator whatever the site's policy says.
const (
	SpamThreshold = 0.9
	HoldThreshold = 0.5
)

// Decide is the status a new comment gets. trusted means the author has an earlier
// approved comment on the site, which the first_time policy publishes.
func Decide(v comment.Verdict, policy site.Policy, trusted bool) comment.Status {
	switch {
	case v.Score >= SpamThreshold:
		return comment.StatusSpam
	case v.Hold || v.Score >= HoldThreshold:
		return comment.StatusPending
	}
	switch policy {
	case site.PolicyNone:
		return comment.StatusApproved
	case site.PolicyFirstTime:
		if trusted {
			return comment.StatusApproved
		}
	}
	return comment.StatusPending
}

// HeldByPolicy says whether a held comment waits only because its site's policy holds
// comments (all, or first_time for a new author): no rule held it and its score is
// under HoldThreshold, so it has no reasons, and the moderator is told why it waits.
func HeldByPolicy(c comment.Comment) bool {
	return c.Status == comment.StatusPending && len(c.Reasons) == 0 && c.Score < HoldThreshold
}

// AfterEdit is a comment's status after its author edited it: an edit can keep or
// worsen a status, never improve it, so removing the links that held a comment does
// not publish it behind the moderator's back, while adding spam to a published one
// takes it down. On a site that holds everything, any edit of a published comment
// goes back to the moderator: its new text was never reviewed.
func AfterEdit(current comment.Status, v comment.Verdict, policy site.Policy) comment.Status {
	switch {
	case v.Score >= SpamThreshold:
		return comment.StatusSpam
	case current == comment.StatusApproved && (v.Hold || v.Score >= HoldThreshold || policy == site.PolicyAll):
		return comment.StatusPending
	}
	return current
}
