package intake

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"github.com/winnow/winnow/internal/comment"
	"github.com/winnow/winnow/internal/ratelimit"
	"github.com/winnow/winnow/internal/spam"
)

// campaignSets names the two distinct counts a text keeps: the authors who posted it
// and the threads it was posted on, each within spam.CampaignWindow. Nothing is
// stored: the counts live in the distinct counter (shared through Redis, so replicas
// on one Redis see one campaign). nil when there is nothing to count.
func (s *Service) campaignSets(siteID string, sub comment.Submission, text *spam.Text, authorKey string) []distinctSet {
	fp := text.Fingerprint()
	if s.counters.Distinct == nil || fp == "" {
		return nil
	}
	thread := sha256.Sum256([]byte(sub.Thread))
	prefix := "campaign:" + siteID + ":" + fp
	return []distinctSet{
		{set: prefix + ":authors", member: authorKey},
		{set: prefix + ":threads", member: hex.EncodeToString(thread[:12])},
	}
}

// distinctSet is one count of a campaign, with what its peek found.
type distinctSet struct {
	set, member string
	tally       ratelimit.Tally
}

func (d *distinctSet) peek(ctx context.Context, c DistinctCounter) error {
	t, err := c.Peek(ctx, d.set, d.member, spam.CampaignWindow, spam.CampaignSize)
	if err != nil {
		return fmt.Errorf("intake: campaign: %w", err)
	}
	d.tally = t
	return nil
}

func (d *distinctSet) add(ctx context.Context, c DistinctCounter) error {
	if err := c.Add(ctx, d.set, d.member, d.tally, spam.CampaignWindow, spam.CampaignSize); err != nil {
		return fmt.Errorf("intake: campaign: %w", err)
	}
	return nil
}

// campaignOf is what the sets' peeks found, this text included.
func campaignOf(sets []distinctSet) spam.Campaign {
	if len(sets) != 2 {
		return spam.Campaign{}
	}
	return spam.Campaign{Authors: sets[0].tally.N, Threads: sets[1].tally.N}
}
